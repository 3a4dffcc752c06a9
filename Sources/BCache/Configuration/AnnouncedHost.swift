import BCacheTransport

/// What a node announces to the others when ``BCache/Configuration/Network/advertise`` is nil.
///
/// A node listening on one address announces it (a name as it is: the others resolve it as this
/// node did). A node listening on every interface (`0.0.0.0`, `::`) cannot announce that: nobody
/// reaches `0.0.0.0`. It announces the first interface address that is not loopback (nor IPv6
/// link-local, which needs a scope), of the listen address's family for `0.0.0.0`; when there is
/// none, the cache is not made and the error says to set `advertise`.
enum AnnouncedHost {
    /// The interface address to announce, or nil to announce the transport's own address.
    ///
    /// - Parameter interfaces: the host's interface addresses; called only for an unspecified
    ///   listen address.
    /// - Throws: ``BCacheError`` `invalidConfiguration` when `listen` is unspecified and no
    ///   interface can be announced.
    static func choose(
        listen: NodeAddress, interfaces: () -> [InterfaceAddress]
    ) throws(BCacheError) -> InterfaceAddress? {
        guard isUnspecified(listen) else { return nil }
        let candidates = interfaces().filter { interface in
            guard !interface.isLoopback, !interface.host.lowercased().hasPrefix("fe80:") else { return false }
            // An IPv4 socket on 0.0.0.0 cannot be reached at an IPv6 address; `::` takes both.
            return listen.kind == .ipv6 || !interface.host.contains(":")
        }
        guard let chosen = candidates.first else {
            throw .invalidConfiguration(
                "network.listen is \(listen), every interface, and network.advertise is not set, and this host has "
                    + "no \(listen.kind == .ipv4 ? "IPv4 " : "")interface address other nodes could reach: set "
                    + "network.advertise to the host:port the other nodes reach this one at")
        }
        return chosen
    }

    /// Whether `address` is the wildcard of its family (`0.0.0.0`, `::` in any spelling).
    static func isUnspecified(_ address: NodeAddress) -> Bool {
        switch address.kind {
        case .ipv4: address.host == "0.0.0.0"
        case .ipv6: address.host.allSatisfy { $0 == "0" || $0 == ":" }
        case .name: false
        }
    }
}
