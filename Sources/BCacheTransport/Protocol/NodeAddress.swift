/// Where a node listens: a host (IPv4, IPv6 or DNS name) and a port.
///
/// Written `127.0.0.1:7946`, `[::1]:7946` or `cache-1.internal:7946`. Names are resolved by the
/// transport when it sends, through an ``AddressResolver`` that tests can replace.
public struct NodeAddress: Hashable, Sendable, CustomStringConvertible {
    /// What kind of host this is.
    public enum Kind: Hashable, Sendable {
        /// An IPv4 literal, as `10.0.0.1`.
        case ipv4
        /// An IPv6 literal, as `::1`.
        case ipv6
        /// A name to resolve, as `cache-1.internal`.
        case name
    }

    /// The host, without brackets for IPv6 (`::1`).
    public var host: String
    /// The port.
    public var port: UInt16
    /// Whether the host is an IPv4 or IPv6 literal or a name to resolve.
    public var kind: Kind

    /// An address from its parts. The kind is inferred from `host`.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
        if IPv4Literal.isValid(host) {
            self.kind = .ipv4
        } else if host.utf8.contains(UInt8(ascii: ":")) {
            self.kind = .ipv6
        } else {
            self.kind = .name
        }
    }

    /// Parses `host:port`, `[ipv6]:port`.
    ///
    /// - Throws: ``AddressParseError`` saying which part is wrong.
    public init(parsing text: String) throws(AddressParseError) {
        self = try AddressParser.parse(text)
    }

    /// `host:port`, with brackets around IPv6 hosts: parses back to the same address.
    public var description: String {
        kind == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
