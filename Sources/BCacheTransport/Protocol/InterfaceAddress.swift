/// One address of one of this host's network interfaces, as a socket transport lists them
/// (``TransportProvider/interfaceAddresses``).
public struct InterfaceAddress: Hashable, Sendable, CustomStringConvertible {
    /// The interface's name, as `eth0`.
    public var interface: String
    /// The address, an IPv4 or IPv6 literal without brackets.
    public var host: String
    /// Whether this is a loopback address (`127.0.0.0/8`, `::1`), which other machines cannot reach.
    public var isLoopback: Bool

    /// An interface address from its parts.
    public init(interface: String, host: String, isLoopback: Bool) {
        self.interface = interface
        self.host = host
        self.isLoopback = isLoopback
    }

    /// `eth0 10.0.0.1`.
    public var description: String { "\(interface) \(host)" }
}
