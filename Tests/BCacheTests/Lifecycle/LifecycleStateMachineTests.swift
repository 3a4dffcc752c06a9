import Testing

@testable import BCache

/// `LifecycleStateMachine` driven bare: every event in every state, legal or not, with names for
/// waiters.
@Suite struct LifecycleStateMachineTests {
    typealias Machine = LifecycleStateMachine<String, String>

    /// The join's outcome as a word, so that plain `==` compares it.
    static func word(_ outcome: Machine.JoinOutcome?) -> String {
        switch outcome {
        case .success?: "joined"
        case .failure(let error)?: "\(error.code)"
        case nil: "cancelled"
        }
    }

    static func word(_ action: Machine.JoinWaitAction) -> String {
        switch action {
        case .resume(let outcome): "resume \(word(outcome))"
        case .wait: "wait"
        }
    }

    static func running() -> Machine {
        var machine = Machine()
        _ = machine.runRequested()
        return machine
    }

    @Test func runningTwiceIsAlreadyStartedAndAfterAShutdownStopped() {
        var machine = Machine()
        #expect(machine.runRequested() == .run)
        #expect(machine.runRequested() == .fail(.alreadyStarted()))
        #expect(machine.shutdownRequested() == .stopRun)
        #expect(machine.runRequested() == .fail(.stopped("")))
        _ = machine.runFinished()
        #expect(machine.runRequested() == .fail(.stopped("")))
    }

    @Test func aShutdownBeforeRunningClosesTheUnstartedCacheOnce() {
        var machine = Machine()
        #expect(machine.shutdownRequested() == .closeUnstarted)
        #expect(machine.shutdownRequested() == .none)
        #expect(machine.runRequested() == .fail(.stopped("")))
        let finished = machine.runFinished()
        #expect(finished.byItself == false)
        #expect(Self.word(finished.joinOutcome) == "stopped")
    }

    @Test func joinWaitersAreResumedWithTheFirstOutcomeOnly() {
        var machine = Self.running()
        #expect(Self.word(machine.waitForJoin("a", id: 1, isCancelled: false)) == "wait")
        #expect(Self.word(machine.waitForJoin("b", id: 2, isCancelled: false)) == "wait")
        #expect(machine.joinFinished(.success(())).sorted() == ["a", "b"])
        #expect(machine.joinFinished(.failure(.joinFailed("late"))) == [])
        #expect(Self.word(machine.waitForJoin("c", id: 3, isCancelled: false)) == "resume joined")
        #expect(machine.waiterCounts.join == 0)
    }

    @Test func waitingForTheJoinOfAnIdleCacheFailsAtOnce() {
        var machine = Machine()
        #expect(Self.word(machine.waitForJoin("a", id: 1, isCancelled: false)) == "resume stopped")
    }

    @Test func aCancelledJoinWaiterIsResumedOnceAndForgotten() {
        var machine = Self.running()
        #expect(Self.word(machine.waitForJoin("a", id: 1, isCancelled: true)) == "resume cancelled")
        #expect(Self.word(machine.waitForJoin("b", id: 2, isCancelled: false)) == "wait")
        #expect(machine.cancelJoinWait(id: 2) == "b")
        #expect(machine.cancelJoinWait(id: 2) == nil)
        #expect(machine.joinFinished(.success(())) == [])
    }

    @Test func stoppingBeforeTheJoinFailsItsWaitersWithStopped() {
        var machine = Self.running()
        _ = machine.waitForJoin("starter", id: 1, isCancelled: false)
        _ = machine.waitUntilFinished("shutdown", id: 2, isCancelled: false)
        #expect(machine.shutdownRequested() == .stopRun)
        let finished = machine.runFinished()
        #expect(finished.joinWaiters == ["starter"])
        #expect(Self.word(finished.joinOutcome) == "stopped")
        #expect(finished.finishWaiters == ["shutdown"])
        #expect(finished.byItself == false)
        #expect(machine.waiterCounts.join == 0 && machine.waiterCounts.finish == 0)
    }

    @Test func aJoinThatFailsWhileStoppingKeepsItsCode() {
        var machine = Self.running()
        _ = machine.waitForJoin("starter", id: 1, isCancelled: false)
        _ = machine.shutdownRequested()
        #expect(machine.joinFinished(.failure(.joinFailed("no seed"))) == ["starter"])
        #expect(Self.word(machine.runFinished().joinOutcome) == "joinFailed")
    }

    @Test func aNodeStoppingByItselfStopsTheRunAndIsReported() {
        var machine = Self.running()
        #expect(machine.nodeStopped(cancelled: false) == .stopRunStoppedByItself)
        #expect(machine.shutdownRequested() == .none)
        #expect(machine.runFinished().byItself)
        #expect(machine.waitUntilFinished("late", id: 1, isCancelled: false) == .resume(byItself: true))
    }

    @Test func aNodeStoppedByAShutdownOrCancellationIsNotByItself() {
        var shutDown = Self.running()
        _ = shutDown.shutdownRequested()
        #expect(shutDown.nodeStopped(cancelled: false) == .none)
        #expect(shutDown.runFinished().byItself == false)

        var cancelled = Self.running()
        #expect(cancelled.nodeStopped(cancelled: true) == .none)
        #expect(cancelled.runFinished().byItself == false)
    }

    @Test func finishWaitersWaitUntilTheRunFinishesOrTheirCancellation() {
        var machine = Self.running()
        #expect(machine.waitUntilFinished("a", id: 1, isCancelled: false) == .wait)
        #expect(machine.waitUntilFinished("b", id: 2, isCancelled: true) == .resume(byItself: nil))
        #expect(machine.waitUntilFinished("c", id: 3, isCancelled: false) == .wait)
        #expect(machine.cancelFinishWait(id: 3) == "c")
        #expect(machine.runFinished().finishWaiters == ["a"])
        // Finishing again resumes nobody: every waiter was resumed once.
        #expect(machine.runFinished().finishWaiters == [])
        #expect(machine.cancelFinishWait(id: 1) == nil)
    }

    @Test func waiterIDsAreNeverReused() {
        var machine = Machine()
        let ids = (0..<3).map { _ in machine.nextWaiterID() }
        #expect(Set(ids).count == 3)
    }
}
