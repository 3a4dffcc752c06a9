/// Turns a ``NodeAddress`` into the IP addresses to send to.
///
/// Transports resolve names (`cache-1.internal:7946`) when they send; IP literals resolve to
/// themselves. Production code uses ``SystemResolver`` (the operating system's resolver, so
/// `/etc/hosts` and DNS); tests use ``StaticResolver``, a fixed table.
///
/// # Usage
///
/// ```swift
/// let resolver: any AddressResolver = StaticResolver(["cache-1": ["127.0.0.1"]])
/// let targets = try await resolver.resolve(NodeAddress(host: "cache-1", port: 7946))
/// // [127.0.0.1:7946]
/// ```
public protocol AddressResolver: Sendable {
    /// The IP addresses (kind `.ipv4` or `.ipv6`) for `address`, with its port, in the
    /// resolver's order of preference and without duplicates.
    ///
    /// - Throws: ``TransportError`` with code ``TransportError/Code/unreachable`` when the name
    ///   has no address.
    func resolve(_ address: NodeAddress) async throws -> [NodeAddress]
}

extension AddressResolver where Self == SystemResolver {
    /// The operating system's resolver.
    public static var system: SystemResolver { SystemResolver() }
}

extension AddressResolver where Self == StaticResolver {
    /// A resolver from a fixed table of names to IP hosts.
    public static func table(_ entries: [String: [String]]) -> StaticResolver {
        StaticResolver(entries)
    }
}
