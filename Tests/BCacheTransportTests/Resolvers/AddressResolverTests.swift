import BCacheTransport
import Testing

@Suite struct AddressResolverTests {
    private let table = StaticResolver([
        "Cache-1.Internal": ["10.0.0.1", "fd00::1", "10.0.0.1"],
        "empty": [],
    ])

    @Test func theStaticResolverMapsNamesIgnoringCaseAndTrailingDot() async throws {
        for text in ["cache-1.internal:7946", "CACHE-1.internal.:7946"] {
            let resolved = try await table.resolve(try NodeAddress(parsing: text))
            #expect(resolved == [NodeAddress(host: "10.0.0.1", port: 7946), NodeAddress(host: "fd00::1", port: 7946)])
            #expect(resolved.map(\.kind) == [.ipv4, .ipv6])
        }
    }

    @Test(arguments: ["192.0.2.7:1", "[2001:db8::1]:2"])
    func ipLiteralsResolveToThemselves(text: String) async throws {
        let address = try NodeAddress(parsing: text)
        #expect(try await table.resolve(address) == [address])
        #expect(try await SystemResolver().resolve(address) == [address])
    }

    @Test(arguments: ["unknown:1", "empty:1"])
    func theStaticResolverRefusesNamesWithoutAddresses(text: String) async throws {
        await #expect(throws: TransportError(.unreachable, "")) {
            _ = try await table.resolve(try NodeAddress(parsing: text))
        }
    }

    @Test func theSystemResolverResolvesLocalhostToLoopbackAddresses() async throws {
        let resolved = try await SystemResolver().resolve(NodeAddress(host: "localhost", port: 7946))
        #expect(!resolved.isEmpty)
        #expect(Set(resolved).count == resolved.count)
        for address in resolved {
            #expect(address.port == 7946)
            #expect(address.kind != .name)
            #expect(address.host.hasPrefix("127.") || address.host == "::1")
        }
    }

    @Test func aCancelledLookupThrowsCancellation() async throws {
        let lookup = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await Self.resolve(NodeAddress(host: "localhost", port: 1), with: .system)
        }
        await #expect(throws: CancellationError.self) { _ = try await lookup.value }
    }

    private static func resolve(_ address: NodeAddress, with resolver: some AddressResolver) async throws
        -> [NodeAddress]
    {
        try await resolver.resolve(address)
    }
}
