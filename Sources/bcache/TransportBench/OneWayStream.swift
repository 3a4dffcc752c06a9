import BCacheTransport

/// Frames sent one way over one stream; returns megabytes per second, first send to last frame.
struct OneWayStream {
    let count: Int
    let size: Int

    func measure(from sender: any Transport, to receiver: any Transport) async throws -> Double {
        let frame = [UInt8](repeating: 0x5A, count: size)
        let started = ContinuousClock.now
        let received = try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                var iterator = receiver.incomingStreams.makeAsyncIterator()
                guard let stream = await iterator.next() else { return 0 }
                var bytes = 0
                var frames = 0
                for try await incoming in stream.inboundFrames {
                    bytes += incoming.count
                    frames += 1
                    if frames == count { break }
                }
                await stream.close()
                return bytes
            }
            let stream = try await sender.openStream(to: receiver.localAddress)
            for _ in 0..<count { try await stream.send(frame: frame) }
            let bytes = try await group.next() ?? 0
            await stream.close()
            return bytes
        }
        let elapsed = ContinuousClock.now - started
        return Double(received) / 1e6 / max(elapsed.seconds, 1e-9)
    }
}
