import BCacheTransport
import NIOCore
import NIOPosix
import Synchronization

/// Turns a ``BCacheTransport/NodeAddress`` into a socket address, resolving DNS names off the
/// event loops and the cooperative pool, with a short cache.
///
/// IP literals are parsed on every call (cheap). Names go through `getaddrinfo` on NIO's
/// singleton thread pool, because it blocks; the answer is kept for ``cacheLifetime`` so that
/// gossip to a named seed does not query DNS on every packet, yet a moved node is found again
/// within seconds. Shared by the UDP and TCP transports.
package final class SocketAddressResolver: Sendable {
    private struct Entry {
        var address: SocketAddress
        var expires: ContinuousClock.Instant
    }

    /// How long a resolved name is reused.
    package let cacheLifetime: Duration
    /// Bounds the cache; when full it is emptied (names are few: seeds and members).
    private let cacheCapacity = 1024
    private let cache = Mutex<[String: Entry]>([:])
    /// Resolves names instead of `getaddrinfo` when set (tests, service discovery).
    private let nameResolver: (any AddressResolver)?

    package init(cacheLifetime: Duration = .seconds(10), nameResolver: (any AddressResolver)? = nil) {
        self.cacheLifetime = cacheLifetime
        self.nameResolver = nameResolver
    }

    /// The socket address of `address`.
    ///
    /// - Throws: ``BCacheTransport/TransportError`` with code `unreachable` when the host is not a
    ///   valid literal or its name does not resolve.
    package func resolve(_ address: NodeAddress) async throws(TransportError) -> SocketAddress {
        switch address.kind {
        case .ipv4, .ipv6:
            do {
                return try SocketAddress(ipAddress: address.host, port: Int(address.port))
            } catch {
                throw TransportError(.unreachable, "'\(address.host)' is not a usable IP address: \(error)")
            }
        case .name:
            return try await resolveName(address)
        }
    }

    /// The socket address of `address` when it is known without waiting: an IP literal, or a
    /// name resolved less than ``cacheLifetime`` ago; nil otherwise (``resolve(_:)`` then
    /// resolves it, and caches the answer).
    package func resolvedWithoutWaiting(_ address: NodeAddress) -> SocketAddress? {
        switch address.kind {
        case .ipv4, .ipv6:
            return try? SocketAddress(ipAddress: address.host, port: Int(address.port))
        case .name:
            return cached(address, now: .now)
        }
    }

    /// The cached answer for the name in `address`, when it is younger than ``cacheLifetime``.
    private func cached(_ address: NodeAddress, now: ContinuousClock.Instant) -> SocketAddress? {
        guard let hit = cache.withLock({ $0[address.description] }), hit.expires > now else { return nil }
        return hit.address
    }

    private func resolveName(_ address: NodeAddress) async throws(TransportError) -> SocketAddress {
        let now = ContinuousClock.now
        if let hit = cached(address, now: now) { return hit }
        let resolved: SocketAddress
        do {
            if let nameResolver {
                guard let first = try await nameResolver.resolve(address).first(where: { $0.kind != .name }) else {
                    throw TransportError(.unreachable, "no IP address for '\(address.host)'")
                }
                resolved = try SocketAddress(ipAddress: first.host, port: Int(first.port))
            } else {
                resolved = try await NIOThreadPool.singleton.runIfActive {
                    try SocketAddress.makeAddressResolvingHost(address.host, port: Int(address.port))
                }
            }
        } catch {
            throw TransportError(.unreachable, "cannot resolve '\(address.host)': \(error)")
        }
        let entry = Entry(address: resolved, expires: now + cacheLifetime)
        cache.withLock { cache in
            if cache.count >= cacheCapacity { cache.removeAll(keepingCapacity: true) }
            cache[address.description] = entry
        }
        return resolved
    }
}

extension NodeAddress {
    /// The address of an IP socket (`nil` for Unix domain sockets, which BCache never uses).
    package init?(_ socketAddress: SocketAddress) {
        guard let host = socketAddress.ipAddress, let port = socketAddress.port, let port16 = UInt16(exactly: port)
        else { return nil }
        self.init(host: host, port: port16)
    }
}
