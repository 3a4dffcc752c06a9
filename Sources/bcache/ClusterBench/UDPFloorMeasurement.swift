import BCacheTransport

/// The floor under propagation: how long a bare UDP datagram takes one way between two sockets
/// on 127.0.0.1 on this machine, now.
///
/// Two UDP transports (SwiftNIO datagram channels, as the nodes use, without membership,
/// batching or merging) ping-pong a 100-byte datagram `count` times, pausing `spacing` after
/// each echo as the propagation probes are spaced, so that both see processors equally idle
/// (on this VM an idle processor halts, and waking it is much of a datagram's latency). One
/// way is half the median round trip. Measured in the same run as propagation, right after it.
struct UDPFloorMeasurement {
    let count: Int
    let spacing: Duration

    func oneWayP50Microseconds() async throws -> Double {
        let prober = try await TransportBench.makeUDP()
        let echo = try await TransportBench.makeUDP()
        do {
            let figures = try await RoundTrips(count: count, spacing: spacing).measure(from: prober, echoedBy: echo)
            await prober.close()
            await echo.close()
            return figures.percentile(0.5) / 2
        } catch {
            await prober.close()
            await echo.close()
            throw error
        }
    }
}
