import BCacheTransport
import Testing

@Suite struct NodeAddressTests {
    @Test(arguments: [
        ("127.0.0.1:7946", "127.0.0.1", UInt16(7946), NodeAddress.Kind.ipv4),
        ("[::1]:7946", "::1", 7946, .ipv6),
        ("[fe80::1%eth0]:0", "fe80::1%eth0", 0, .ipv6),
        ("[2001:db8::8a2e:370:7334]:65535", "2001:db8::8a2e:370:7334", 65535, .ipv6),
        ("cache-1.internal:80", "cache-1.internal", 80, .name),
        ("localhost:0", "localhost", 0, .name),
    ])
    func parsesValidAddresses(text: String, host: String, port: UInt16, kind: NodeAddress.Kind) throws {
        let address = try NodeAddress(parsing: text)
        #expect(address.host == host)
        #expect(address.port == port)
        #expect(address.kind == kind)
        #expect(address.description == text)
        #expect(try NodeAddress(parsing: address.description) == address)
    }

    /// The kind `NodeAddress(host:port:)` infers: an IPv4 literal is exactly four parts of one to
    /// three digits up to 255; anything else without a colon is a name.
    @Test(arguments: [
        ("10.0.0.1", NodeAddress.Kind.ipv4), ("255.255.255.255", .ipv4), ("010.1.2.3", .ipv4),
        ("256.0.0.1", .name), ("1.2.3", .name), ("1.2.3.4.5", .name), ("1..2.3", .name), ("1.2.3.", .name),
        (".1.2.3", .name), ("1234.1.1.1", .name), ("1.2.3.4a", .name), ("１.2.3.4", .name), ("fe80::1", .ipv6),
        ("node-7.sim", .name),
    ])
    func infersTheKindOfAHost(host: String, kind: NodeAddress.Kind) {
        #expect(NodeAddress(host: host, port: 1).kind == kind)
    }

    @Test(arguments: [
        ("", "empty"),
        ("127.0.0.1", "port is missing"),
        ("127.0.0.1:", "port is empty"),
        ("127.0.0.1:65536", "port '65536'"),
        ("127.0.0.1:http", "port 'http'"),
        ("256.0.0.1:80", "not a valid IPv4"),
        ("1.2.3:80", "not a valid IPv4"),
        ("::1:7946", "must be written in brackets"),
        ("[::1:7946", "no closing ']'"),
        ("[::1]7946", "expected ':port'"),
        ("[nothex::zz]:1", "not an IPv6"),
        (":80", "host is empty"),
        ("bad_-host-:80", "not a valid DNS name"),
        ("a..b:80", "not a valid DNS name"),
    ])
    func rejectsInvalidAddressesNamingThePart(text: String, fragment: String) {
        #expect {
            _ = try NodeAddress(parsing: text)
        } throws: { error in
            guard let error = error as? AddressParseError else { return false }
            return error.description.contains(fragment)
        }
    }
}
