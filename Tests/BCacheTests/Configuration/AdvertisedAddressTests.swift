import BCache
import BCacheTransport
import BCacheTransportUDPTCP
import Logging
import Testing

/// A node listening on every interface announces an address the others can reach, or refuses
/// to be made; never `0.0.0.0`. The interface list is given to the provider here, so nothing but
/// the in-memory network and 127.0.0.1 is bound.
@Suite struct AdvertisedAddressTests {
    static let quiet = Logger(label: "advertise", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The in-memory provider, reporting `interfaces` as the host's.
    static func provider(_ network: InMemoryNetwork, interfaces: [InterfaceAddress]) -> TransportProvider {
        let inMemory = TransportProvider.inMemory(network)
        return TransportProvider(make: inMemory.make, interfaceAddresses: { interfaces })
    }

    static func configuration(listen: String, provider: TransportProvider) -> BCache.Configuration {
        var configuration = BCache.Configuration(transport: provider)
        configuration.network.listen = listen
        configuration.logger = quiet
        return configuration
    }

    @Test func everyInterfaceAnnouncesTheFirstThatIsNotLoopbackWithTheBoundPort() async throws {
        let interfaces = [
            InterfaceAddress(interface: "lo", host: "127.0.0.1", isLoopback: true),
            InterfaceAddress(interface: "eth0", host: "fe80::1", isLoopback: false),
            InterfaceAddress(interface: "eth0", host: "2001:db8::5", isLoopback: false),
            InterfaceAddress(interface: "eth0", host: "10.1.2.3", isLoopback: false),
        ]
        let provider = Self.provider(InMemoryNetwork(seed: 1), interfaces: interfaces)
        let cache = try await BCache(configuration: Self.configuration(listen: "0.0.0.0:7946", provider: provider))
        // IPv4 on 0.0.0.0: the IPv6 addresses are skipped.
        #expect(cache.address == NodeAddress(host: "10.1.2.3", port: 7946))
        await cache.shutdown()

        let both = Self.provider(InMemoryNetwork(seed: 2), interfaces: interfaces)
        let dual = try await BCache(configuration: Self.configuration(listen: "[::]:7946", provider: both))
        // `::` takes both families; link-local needs a scope, so it is skipped.
        #expect(dual.address == NodeAddress(host: "2001:db8::5", port: 7946))
        await dual.shutdown()
    }

    @Test func everyInterfaceWithOnlyLoopbackIsRefusedWithTheFix() async throws {
        let loopback = [InterfaceAddress(interface: "lo", host: "127.0.0.1", isLoopback: true)]
        let provider = Self.provider(InMemoryNetwork(seed: 1), interfaces: loopback)
        let error = await #expect(throws: BCacheError.self) {
            try await BCache(configuration: Self.configuration(listen: "0.0.0.0:7946", provider: provider))
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("network.advertise") == true)
    }

    @Test func anAdvertisedAddressWinsOverTheInterfaces() async throws {
        let interfaces = [InterfaceAddress(interface: "eth0", host: "10.1.2.3", isLoopback: false)]
        var configuration = Self.configuration(
            listen: "0.0.0.0:7946", provider: Self.provider(InMemoryNetwork(seed: 1), interfaces: interfaces))
        configuration.network.advertise = "203.0.113.7:17946"
        let cache = try await BCache(configuration: configuration)
        #expect(cache.address == NodeAddress(host: "203.0.113.7", port: 17946))
        await cache.shutdown()
    }

    @Test func aSpecificAddressOrANameIsAnnouncedAsItIs() async throws {
        let interfaces = [InterfaceAddress(interface: "eth0", host: "10.1.2.3", isLoopback: false)]
        let named = try await BCache(
            configuration: Self.configuration(
                listen: "cache-1.internal:7946",
                provider: Self.provider(InMemoryNetwork(seed: 1), interfaces: interfaces)))
        #expect(named.address == NodeAddress(host: "cache-1.internal", port: 7946))
        await named.shutdown()
    }

    @Test func realSocketsOnLoopbackAnnounceTheBoundPort() async throws {
        // 127.0.0.1 port 0: announced as bound, with the port the system picked.
        let cache = try await BCache(configuration: Self.configuration(listen: "127.0.0.1:0", provider: .udpAndTCP()))
        #expect(cache.address.host == "127.0.0.1")
        #expect(cache.address.port != 0)
        await cache.shutdown()
    }

    @Test func theSocketProvidersListThisHostsInterfacesWithLoopback() {
        // The list the choice reads, taken from NIO's System.enumerateDevices(): nothing is bound.
        let interfaces = TransportProvider.udpAndTCP().interfaceAddresses()
        #expect(interfaces.contains { $0.isLoopback && $0.host == "127.0.0.1" })
    }
}
