import BCacheTransport
import BCacheTransportTCP
import BCacheTransportTestKit
import BCacheTransportUDP
import BCacheTransportUDPTCP
import Logging

/// Loopback addresses and transports for tests: 127.0.0.1 (or ::1) and port 0 only.
enum Loopback {
    static let ipv4 = "127.0.0.1"
    static let ipv6 = "::1"

    /// A logger that prints nothing, unless `BCACHE_TEST_LOGS` is set.
    static var logger: Logger {
        var logger = Logger(label: "bcache.test")
        logger.logLevel = .critical
        return logger
    }

    static func udp(
        host: String = ipv4,
        configure: (inout UDPTransport.Configuration) -> Void = { _ in }
    ) async throws -> UDPTransport {
        var configuration = UDPTransport.Configuration(host: host, port: 0)
        configure(&configuration)
        return try await UDPTransport.bind(configuration: configuration, logger: logger)
    }

    /// Whether this machine has an IPv6 loopback address; tests that need it skip (saying so)
    /// without it.
    static func hasIPv6() async -> Bool {
        guard let probe = try? await udp(host: ipv6) else {
            print("skipped: this machine has no ::1 loopback address")
            return false
        }
        await probe.close()
        return true
    }
}

extension Loopback {
    static func tcp(
        host: String = ipv4,
        configure: (inout TCPTransport.Configuration) -> Void = { _ in }
    ) async throws -> TCPTransport {
        var configuration = TCPTransport.Configuration(host: host, port: 0)
        configuration.connectTimeout = .seconds(2)
        configure(&configuration)
        return try await TCPTransport.bind(configuration: configuration, logger: logger)
    }

    static func pair(
        host: String = ipv4,
        configure: (inout UDPTCPTransport.Configuration) -> Void = { _ in }
    ) async throws -> UDPTCPTransport {
        var configuration = UDPTCPTransport.Configuration(host: host, port: 0)
        configuration.tcp.connectTimeout = .seconds(2)
        configure(&configuration)
        return try await UDPTCPTransport.bind(configuration: configuration, logger: logger)
    }

    /// The first stream `transport` accepts, within `timeout`.
    static func acceptStream(
        on transport: any Transport,
        within timeout: Duration = .seconds(5)
    ) async throws -> any TransportStream {
        let streams = transport.incomingStreams
        return try await withTimeLimit("a stream accepted", timeout) {
            var iterator = streams.makeAsyncIterator()
            guard let stream = await iterator.next() else { throw TransportError(.closed, "no stream") }
            return stream
        }
    }

    /// The next `count` frames of `stream`, within `timeout`.
    static func frames(
        _ count: Int,
        from stream: any TransportStream,
        within timeout: Duration = .seconds(5)
    ) async throws -> [[UInt8]] {
        let inbound = stream.inboundFrames
        return try await withTimeLimit("\(count) frames", timeout) {
            var frames: [[UInt8]] = []
            var iterator = inbound.makeAsyncIterator()
            while frames.count < count, let frame = try await iterator.next() { frames.append(frame) }
            return frames
        }
    }
}
