import BCacheTransport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A TCP socket on 127.0.0.1 that listens with a backlog of 0 and never accepts: once its accept
/// queue holds one connection, the kernel drops further SYNs, so connection attempts hang until
/// they time out. How a test reaches a connect timeout without leaving the loopback interface.
final class SilentListener {
    private let descriptor: Int32
    let address: NodeAddress

    init() throws {
        #if canImport(Glibc)
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw TransportError(.bindFailed, "socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && listen(descriptor, 0) == 0
                    && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw TransportError(.bindFailed, "cannot bind a silent listener")
        }
        self.descriptor = descriptor
        self.address = NodeAddress(host: "127.0.0.1", port: UInt16(bigEndian: address.sin_port))
    }

    /// Opens streams from `transport` until one times out: the accept queue is then full.
    ///
    /// - Throws: when no attempt timed out after several tries.
    func fillAcceptQueue(using transport: any Transport, attempts: Int = 4) async throws {
        var filled: [any TransportStream] = []
        for _ in 0..<attempts {
            do {
                filled.append(try await transport.openStream(to: address))
            } catch let error as TransportError where error.code == .unreachable {
                return
            }
        }
        throw TransportError(.unsupported, "the accept queue of \(address) never filled")
    }

    deinit {
        close(descriptor)
    }
}
