import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A datagram socket bound here rather than by SwiftNIO's bootstrap, so that the transport
/// knows its descriptor: NIO gets the socket (`DatagramBootstrap.withBoundSocket(_:)`) and owns
/// that descriptor; ``immediate`` is a second descriptor of the same socket, for
/// ``ImmediateDatagramSender``, which sends from other threads. Both descriptors share the
/// socket's port, its buffers and its non-blocking mode, so a datagram sent on either leaves
/// from the address peers know this node by.
struct BoundDatagramSocket {
    /// The descriptor to hand to NIO.
    let descriptor: NIOBSDSocket.Handle
    /// The descriptor for immediate sends: the caller closes it.
    let immediate: CInt
    /// The bound port (the kernel's choice when 0 was asked for).
    let port: UInt16
    /// The socket's address family (NIO's channel does not learn its local address from a
    /// socket bound outside it).
    let family: NIOBSDSocket.ProtocolFamily

    /// A socket bound to `host` (an IP literal or a name, resolved here) and `port` (0: any).
    ///
    /// - Throws: `IOError` when the socket cannot be made or bound (the port is taken, the
    ///   address is not local), or `SocketAddressError` when the host does not resolve.
    static func open(host: String, port: UInt16) throws -> BoundDatagramSocket {
        let address = try SocketAddress.makeAddressResolvingHost(host, port: Int(port))
        #if canImport(Darwin)
            let type = SOCK_DGRAM
        #else
            let type = CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue)
        #endif
        let descriptor = socket(CInt(address.protocol.rawValue), type, 0)
        guard descriptor >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        let bound = address.withSockAddr { pointer, length in
            bind(descriptor, pointer, socklen_t(length))
        }
        guard bound == 0 else {
            let code = errno
            closeDescriptor(descriptor)
            throw IOError(errnoCode: code, reason: "bind")
        }
        guard let boundPort = Self.port(of: descriptor) else {
            let code = errno
            closeDescriptor(descriptor)
            throw IOError(errnoCode: code, reason: "getsockname")
        }
        let immediate = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        guard immediate >= 0 else {
            let code = errno
            closeDescriptor(descriptor)
            throw IOError(errnoCode: code, reason: "dup")
        }
        return BoundDatagramSocket(
            descriptor: descriptor, immediate: immediate, port: boundPort, family: address.protocol)
    }

    /// The local port of a bound IPv4 or IPv6 socket.
    private static func port(of descriptor: CInt) -> UInt16? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { return nil }
        // sockaddr_in and sockaddr_in6 both keep the port at byte 2, in network order.
        let family = CInt(storage.ss_family)
        guard family == AF_INET || family == AF_INET6 else { return nil }
        return withUnsafeBytes(of: &storage) { UInt16(bigEndian: $0.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) }
    }

    /// Closes a descriptor this type made (in a scope where `close` names a method).
    static func closeDescriptor(_ descriptor: CInt) {
        close(descriptor)
    }
}
