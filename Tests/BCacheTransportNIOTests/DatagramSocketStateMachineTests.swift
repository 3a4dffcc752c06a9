import Testing

@testable import BCacheTransportUDP

/// The UDP socket's life, driven bare: no socket, no event loop, no clock.
@Suite struct DatagramSocketStateMachineTests {
    typealias Machine = DatagramSocketStateMachine<String, String, String>

    struct WriteError: Error, Equatable {}

    let start = ContinuousClock.now

    /// A machine with `channel` bound on port 7000, and that channel's generation.
    func openMachine(_ channel: String = "first") -> (Machine, Machine.Generation) {
        var machine = Machine(port: 0)
        let generation = machine.nextGeneration()
        let kept = machine.bound(channel, generation: generation, port: 7000)
        #expect(kept)
        return (machine, generation)
    }

    @Test func aLostChannelIsBoundAgainOnTheSamePortAndReportsHowLongItWasGone() {
        var (machine, first) = openMachine()
        guard case .open("first") = machine.current else {
            Issue.record("expected the first channel to be open")
            return
        }
        machine.writeFailed(generation: first, error: WriteError())
        guard case .reopen(true, let cause, 0) = machine.channelInactive(generation: first, now: start) else {
            Issue.record("expected a warned re-open")
            return
        }
        #expect(cause as? WriteError == WriteError())
        guard case .reopening = machine.current else {
            Issue.record("expected sends to see a socket being re-opened")
            return
        }
        guard case .bind(7000, let second) = machine.reopenStarting() else {
            Issue.record("expected a bind on the first port")
            return
        }
        #expect(second != first)
        machine.bindStarted("bind", generation: second)
        guard
            case .reopened(let lostFor, true) = machine.bindSucceeded(
                "second", generation: second, now: start + .milliseconds(30))
        else {
            Issue.record("expected the new channel to be taken")
            return
        }
        #expect(lostFor == .milliseconds(30))
        guard case .open("second") = machine.current else {
            Issue.record("expected the second channel to be open")
            return
        }
    }

    @Test func failedBindsBackOffFrom50MillisecondsDoublingUpTo2Seconds() {
        var (machine, first) = openMachine()
        _ = machine.channelInactive(generation: first, now: start)
        var delays: [Duration] = []
        var firstFailures: [Bool] = []
        for _ in 0..<8 {
            guard case .bind(_, let generation) = machine.reopenStarting() else {
                Issue.record("expected a bind")
                return
            }
            guard case .retry(let delay, let firstFailure) = machine.bindFailed(generation: generation) else {
                Issue.record("expected a retry")
                return
            }
            let scheduled = machine.retryScheduled("retry")
            #expect(scheduled)
            delays.append(delay)
            firstFailures.append(firstFailure)
        }
        #expect(delays.map { $0 / .milliseconds(1) } == [50, 100, 200, 400, 800, 1600, 2000, 2000])
        #expect(firstFailures == [true] + Array(repeating: false, count: 7))
    }

    @Test func closeUndoesTheBindInFlightAndEndsEveryLaterEvent() {
        var (machine, first) = openMachine()
        _ = machine.channelInactive(generation: first, now: start)
        guard case .bind(_, let generation) = machine.reopenStarting() else {
            Issue.record("expected a bind")
            return
        }
        machine.bindStarted("bind in flight", generation: generation)
        guard case .close(nil, "bind in flight", nil) = machine.close() else {
            Issue.record("expected close to wait for the bind in flight")
            return
        }
        guard case .closeChannel = machine.bindSucceeded("late", generation: generation, now: start) else {
            Issue.record("expected the late channel to be closed")
            return
        }
        guard case .none = machine.bindFailed(generation: generation), case .none = machine.reopenStarting(),
            case .alreadyClosed = machine.close(), case .closed = machine.current
        else {
            Issue.record("expected a closed machine to ignore every event")
            return
        }
        let scheduled = machine.retryScheduled("retry")
        #expect(!scheduled)
    }

    @Test func closeWhileARetryWaitsCancelsIt() {
        var (machine, first) = openMachine()
        _ = machine.channelInactive(generation: first, now: start)
        guard case .bind(_, let generation) = machine.reopenStarting() else {
            Issue.record("expected a bind")
            return
        }
        _ = machine.bindFailed(generation: generation)
        let scheduled = machine.retryScheduled("retry")
        #expect(scheduled)
        guard case .close(nil, nil, "retry") = machine.close() else {
            Issue.record("expected close to cancel the retry")
            return
        }
    }

    @Test func eventsAboutAnOlderChannelChangeNothing() {
        var (machine, first) = openMachine()
        _ = machine.channelInactive(generation: first, now: start)
        guard case .bind(_, let second) = machine.reopenStarting() else {
            Issue.record("expected a bind")
            return
        }
        _ = machine.bindSucceeded("second", generation: second, now: start)
        machine.writeFailed(generation: first, error: WriteError())
        guard case .none = machine.channelInactive(generation: first, now: start) else {
            Issue.record("expected a late report about the first channel to be ignored")
            return
        }
        guard case .reopen(_, let cause, _) = machine.channelInactive(generation: second, now: start + .seconds(1))
        else {
            Issue.record("expected the second channel's loss to re-open")
            return
        }
        #expect(cause == nil)
    }

    @Test func lossesAreWarnedAboutOncePerTenSecondsAndCountedBetween() {
        var (machine, generation) = openMachine()
        var warnings: [(warn: Bool, quiet: Int)] = []
        for second in [0, 1, 2, 11] {
            guard
                case .reopen(let warn, _, let quiet) = machine.channelInactive(
                    generation: generation, now: start + .seconds(second))
            else {
                Issue.record("expected a re-open")
                return
            }
            warnings.append((warn, quiet))
            guard case .bind(_, let next) = machine.reopenStarting() else {
                Issue.record("expected a bind")
                return
            }
            _ = machine.bindSucceeded("channel \(second)", generation: next, now: start + .seconds(second))
            generation = next
        }
        #expect(warnings.map(\.warn) == [true, false, false, true])
        #expect(warnings.map(\.quiet) == [0, 0, 0, 2])
    }

    @Test func closeBeforeTheFirstBindCompletesRefusesTheChannel() {
        var machine = Machine(port: 0)
        let generation = machine.nextGeneration()
        guard case .close(nil, nil, nil) = machine.close() else {
            Issue.record("expected nothing to undo")
            return
        }
        let kept = machine.bound("late", generation: generation, port: 7000)
        #expect(!kept)
    }
}
