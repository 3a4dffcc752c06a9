import BCacheTransport
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A plain UDP socket bound to a given port on 127.0.0.1, taken with one synchronous `bind`, so
/// that a test can occupy a port the instant it is freed (from a closure on an event loop) and
/// hold it until ``release()``.
final class HeldUDPPort: Sendable {
    private let descriptor: Int32

    /// Binds `port` on 127.0.0.1; nil when it is taken.
    init?(port: UInt16) {
        #if canImport(Glibc)
            let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        #else
            let descriptor = socket(AF_INET, SOCK_DGRAM, 0)
        #endif
        guard descriptor >= 0, let address = try? SocketAddress(ipAddress: "127.0.0.1", port: Int(port)) else {
            return nil
        }
        let bound = address.withSockAddr { pointer, length in bind(descriptor, pointer, socklen_t(length)) == 0 }
        guard bound else {
            close(descriptor)
            return nil
        }
        self.descriptor = descriptor
    }

    /// Closes the socket, freeing the port. Call once.
    func release() {
        close(descriptor)
    }
}
