import BCacheTransport

/// One 100-byte packet at a time, echoed back by the peer; the round-trip times in microseconds.
struct RoundTrips {
    let count: Int
    /// How long to wait for one echo before counting it lost and sending the next.
    var echoTimeout: Duration = .seconds(1)
    /// A pause after each echo before the next packet (zero: back to back).
    var spacing: Duration = .zero

    struct Figures {
        var microseconds: [Double]
        var lost: Int

        /// The value below which `fraction` of the round trips fall.
        func percentile(_ fraction: Double) -> Double {
            guard !microseconds.isEmpty else { return 0 }
            let sorted = microseconds.sorted()
            let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)
            return sorted[max(0, index)]
        }
    }

    func measure(from prober: any Transport, echoedBy echo: any Transport) async throws -> Figures {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await packet in echo.incomingPackets {
                    try? await echo.send(packet.bytes, to: packet.sender)
                }
            }
            var iterator = prober.incomingPackets.makeAsyncIterator()
            var times: [Double] = []
            times.reserveCapacity(count)
            var lost = 0
            for sequence in 0..<count {
                var packet = [UInt8](repeating: 0, count: 100)
                withUnsafeBytes(of: UInt32(sequence).littleEndian) { packet.replaceSubrange(0..<4, with: $0) }
                let sent = ContinuousClock.now
                try await prober.send(packet, to: echo.localAddress)
                if try await awaitEcho(of: packet, from: &iterator) {
                    times.append((ContinuousClock.now - sent).seconds * 1e6)
                } else {
                    lost += 1
                }
                if spacing > .zero { try await Task.sleep(for: spacing) }
            }
            group.cancelAll()
            return Figures(microseconds: times, lost: lost)
        }
    }

    /// Reads packets until the echo of `packet` arrives (true) or the timeout passes (false).
    private func awaitEcho(
        of packet: [UInt8], from iterator: inout AsyncStream<IncomingPacket>.Iterator
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + echoTimeout
        while ContinuousClock.now < deadline {
            // Loopback does not lose a lone packet in practice; the deadline only keeps a broken
            // transport from hanging the benchmark, so a blocking read is acceptable here.
            guard let reply = await iterator.next() else { return false }
            if reply.bytes == packet { return true }
        }
        return false
    }
}
