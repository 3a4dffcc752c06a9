import BCacheTransport
import Synchronization

/// Packets sent one way as fast as the sender goes; counts what arrives.
///
/// The clock runs from the first send to the last arrival. The receiver stops when every packet
/// arrived, or when nothing arrived for `quietPeriod` after the sender finished (lost packets).
struct OneWayPackets {
    let count: Int
    let size: Int
    var quietPeriod: Duration = .milliseconds(300)

    struct Figures {
        var delivered: Int
        var sent: Int
        var bytes: Int
        var elapsed: Duration

        var packetsPerSecond: Double { Double(delivered) / max(elapsed.seconds, 1e-9) }
        var megabytesPerSecond: Double { Double(bytes) / 1e6 / max(elapsed.seconds, 1e-9) }
        var deliveredRatio: Double { sent > 0 ? Double(delivered) / Double(sent) : 0 }
    }

    func measure(from sender: any Transport, to receiver: any Transport) async throws -> Figures {
        let packet = [UInt8](repeating: 0xA5, count: size)
        let progress = Progress()
        let started = ContinuousClock.now
        let sent = try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                for await incoming in receiver.incomingPackets {
                    let done = progress.state.withLock { state -> Bool in
                        state.delivered += 1
                        state.bytes += incoming.bytes.count
                        state.last = .now
                        return state.delivered == count
                    }
                    if done { break }
                }
                return 0
            }
            var sent = 0
            for _ in 0..<count {
                // A full socket buffer or queue is a counted drop, not an error that ends the run.
                if (try? await sender.send(packet, to: receiver.localAddress)) != nil { sent += 1 }
            }
            let senderDone = ContinuousClock.now
            while true {
                let (delivered, last) = progress.state.withLock { ($0.delivered, $0.last) }
                if delivered == count { break }
                let quietSince = max(last, senderDone)
                if ContinuousClock.now - quietSince > quietPeriod { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            group.cancelAll()
            return sent
        }
        let (delivered, bytes, last) = progress.state.withLock { ($0.delivered, $0.bytes, $0.last) }
        return Figures(delivered: delivered, sent: sent, bytes: bytes, elapsed: last - started)
    }
}

/// What the receiver has counted so far, shared with the sender's polling loop.
private final class Progress: Sendable {
    let state = Mutex((delivered: 0, bytes: 0, last: ContinuousClock.now))
}
