import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Sends datagrams from the calling thread on the transport's socket (a second descriptor of
/// the socket NIO reads, see ``BoundDatagramSocket``), without a hop to the event loop.
///
/// A datagram send is one atomic `sendto`, so sends from several threads and from the event
/// loop do not interleave. The descriptor belongs to one channel generation: it is closed when
/// that channel closes (before a new socket is bound on the port) and on ``close()``, under the
/// lock every send holds, so no send ever reaches a descriptor number reused by someone else.
final class ImmediateDatagramSender: Sendable {
    private struct Installed {
        var descriptor: CInt
        var generation: Int
    }

    private let installed = Mutex<Installed?>(nil)

    /// Sends with `descriptor` from now on, for the channel of `generation`; closes the one it
    /// replaces.
    func install(_ descriptor: CInt, generation: Int) {
        let replaced = installed.withLock { installed in
            defer { installed = Installed(descriptor: descriptor, generation: generation) }
            return installed?.descriptor
        }
        if let replaced { close(replaced) }
    }

    /// Stops sending and closes the descriptor, when it is `generation`'s (any, for nil).
    func remove(generation: Int?) {
        installed.withLock { installed in
            guard let current = installed, generation == nil || current.generation == generation else { return }
            close(current.descriptor)
            installed = nil
        }
    }

    /// Sends `packet` to `remote` at once, without blocking: false when there is no socket, or
    /// `sendto` did not take the whole datagram (a full buffer, an error: the caller's fallback,
    /// NIO's write, meets and handles it).
    func send(_ packet: [UInt8], to remote: SocketAddress) -> Bool {
        installed.withLock { installed in
            guard let descriptor = installed?.descriptor else { return false }
            return remote.withSockAddr { address, length in
                packet.withUnsafeBytes { bytes in
                    sendto(descriptor, bytes.baseAddress, bytes.count, CInt(MSG_DONTWAIT), address, socklen_t(length))
                        == bytes.count
                }
            }
        }
    }
}
