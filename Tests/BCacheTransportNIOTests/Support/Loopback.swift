import BCacheTransport
import BCacheTransportUDP
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
