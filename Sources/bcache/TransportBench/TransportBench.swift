import BCacheSecure
import BCacheTransport
import BCacheTransportTCP
import BCacheTransportUDP
import Logging
import Synchronization

/// Runs the transport measurements, each on a fresh pair of transports bound to 127.0.0.1:0.
struct TransportBench {
    let packetCount: Int
    let packetSize: Int
    let frameCount: Int
    let frameSize: Int
    let pingCount: Int
    /// Also measure the secure wrapper: sealing and opening alone, and UDP packets, the TCP
    /// stream and UDP round trips through it.
    var encrypted = false

    private static let quietLogger: Logger = {
        var logger = Logger(label: "bcache.bench.transport")
        logger.logLevel = .critical
        return logger
    }()

    func run() async throws -> TransportBenchReport {
        let started = ContinuousClock.now
        var report = TransportBenchReport(packetSize: packetSize, frameSize: frameSize)

        let udp = try await withPair(Self.makeUDP) { a, b in
            try await OneWayPackets(count: packetCount, size: packetSize).measure(from: a, to: b)
        }
        report.udpPacketsPerS = udp.packetsPerSecond
        report.udpMbPerS = udp.megabytesPerSecond
        report.udpDeliveredRatio = udp.deliveredRatio

        let tcp = try await withPair(Self.makeTCP) { a, b in
            try await OneWayPackets(count: packetCount, size: packetSize).measure(from: a, to: b)
        }
        report.tcpPacketsPerS = tcp.packetsPerSecond
        report.tcpMbPerS = tcp.megabytesPerSecond
        report.tcpDeliveredRatio = tcp.deliveredRatio

        report.tcpStreamMbPerS = try await withPair(Self.makeTCP) { a, b in
            try await OneWayStream(count: frameCount, size: frameSize).measure(from: a, to: b)
        }

        let udpRTT = try await withPair(Self.makeUDP) { a, b in
            try await RoundTrips(count: pingCount).measure(from: a, echoedBy: b)
        }
        report.udpRttP50Us = udpRTT.percentile(0.50)
        report.udpRttP99Us = udpRTT.percentile(0.99)

        let tcpRTT = try await withPair(Self.makeTCP) { a, b in
            try await RoundTrips(count: pingCount).measure(from: a, echoedBy: b)
        }
        report.tcpRttP50Us = tcpRTT.percentile(0.50)
        report.tcpRttP99Us = tcpRTT.percentile(0.99)

        if encrypted { try await measureEncrypted(into: &report) }

        report.elapsedSeconds = (ContinuousClock.now - started).seconds
        return report
    }

    /// The secure wrapper's figures, each next to its plaintext counterpart measured above.
    private func measureEncrypted(into report: inout TransportBenchReport) async throws {
        let cost = try await SealOpenCost(count: min(packetCount, 20_000), size: packetSize).measure()
        report.sealNs = cost.sealNanoseconds
        report.openNs = cost.openNanoseconds

        // One key for both ends of every pair, as a cluster shares it.
        let keyring = Keyring(primary: try SecretKey.generate())
        let secureUDP = { try SecureTransport(wrapping: try await Self.makeUDP(), keyring: keyring) as any Transport }
        let secureTCP = { try SecureTransport(wrapping: try await Self.makeTCP(), keyring: keyring) as any Transport }

        let udp = try await withPair(secureUDP) { a, b in
            try await OneWayPackets(count: packetCount, size: packetSize).measure(from: a, to: b)
        }
        report.encryptedUdpPacketsPerS = udp.packetsPerSecond
        report.encryptedUdpDeliveredRatio = udp.deliveredRatio
        report.encryptedThroughputRatio = report.udpPacketsPerS > 0 ? udp.packetsPerSecond / report.udpPacketsPerS : 0

        let stream = try await withPair(secureTCP) { a, b in
            try await OneWayStream(count: frameCount, size: frameSize).measure(from: a, to: b)
        }
        report.encryptedTcpStreamMbPerS = stream
        report.encryptedStreamThroughputRatio = report.tcpStreamMbPerS > 0 ? stream / report.tcpStreamMbPerS : 0

        let rtt = try await withPair(secureUDP) { a, b in
            try await RoundTrips(count: pingCount).measure(from: a, echoedBy: b)
        }
        report.encryptedUdpRttP50Us = rtt.percentile(0.50)
        report.encryptedUdpRttP99Us = rtt.percentile(0.99)
    }

    /// A UDP transport on 127.0.0.1, port 0, with the buffers the benchmarks use.
    static func makeUDP() async throws -> any Transport {
        var configuration = UDPTransport.Configuration(host: "127.0.0.1", port: 0)
        configuration.receiveBufferSize = 8 << 20
        configuration.receiveQueueCapacity = 65_536
        return try await UDPTransport.bind(configuration: configuration, logger: quietLogger)
    }

    private static func makeTCP() async throws -> any Transport {
        var configuration = TCPTransport.Configuration(host: "127.0.0.1", port: 0)
        configuration.receiveQueueCapacity = 65_536
        configuration.outboundQueueLimit = 64 << 20
        return try await TCPTransport.bind(configuration: configuration, logger: quietLogger)
    }

    /// Binds two transports, runs `body`, and closes both whatever happens.
    private func withPair<Result: Sendable>(
        _ make: () async throws -> any Transport,
        _ body: (any Transport, any Transport) async throws -> Result
    ) async throws -> Result {
        let a = try await make()
        let b = try await make()
        do {
            let result = try await body(a, b)
            await a.close()
            await b.close()
            return result
        } catch {
            await a.close()
            await b.close()
            throw error
        }
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
