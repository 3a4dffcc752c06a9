/// An ``AddressResolver`` backed by a fixed table, for tests and fixed deployments.
///
/// Names are matched without regard to case and to a trailing dot (`Cache-1.` is `cache-1`).
/// IP literals resolve to themselves without a table entry.
///
/// # Usage
///
/// ```swift
/// let resolver = StaticResolver(["seed.internal": ["10.0.0.1", "fd00::1"]])
/// try await resolver.resolve(try NodeAddress(parsing: "seed.internal:7946"))
/// // [10.0.0.1:7946, [fd00::1]:7946]
/// ```
public struct StaticResolver: AddressResolver {
    private let entries: [String: [String]]

    /// A resolver from names to IP hosts (IPv4 or IPv6 literals, without brackets).
    public init(_ entries: [String: [String]]) {
        var normalized: [String: [String]] = [:]
        for (name, hosts) in entries {
            normalized[Self.normalize(name), default: []].append(contentsOf: hosts)
        }
        self.entries = normalized
    }

    public func resolve(_ address: NodeAddress) async throws -> [NodeAddress] {
        guard address.kind == .name else { return [address] }
        guard let hosts = entries[Self.normalize(address.host)], !hosts.isEmpty else {
            throw TransportError(.unreachable, "cannot resolve '\(address.host)': not in the static table")
        }
        var seen = Set<String>()
        return hosts.filter { seen.insert($0).inserted }.map { NodeAddress(host: $0, port: address.port) }
    }

    private static func normalize(_ name: String) -> String {
        let lowered = name.lowercased()
        return lowered.hasSuffix(".") ? String(lowered.dropLast()) : lowered
    }
}
