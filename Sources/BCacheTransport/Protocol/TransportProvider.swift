/// How a cache gets its ``Transport``: made from the parsed listen address when the cache is made.
///
/// The socket transports add their own constructors in their modules (`.udp()` in
/// `BCacheTransportUDP`, `.tcp()` and `.udpAndTCP()` in `BCacheTransportTCP`), and `BCacheSecure`
/// adds `.encrypted(keyring:)` to wrap any of them, so this module depends on no socket library
/// and a test target can use `.inMemory(network)` alone.
///
/// # Usage
///
/// ```swift
/// configuration.transport = .inMemory(network)      // tests: a simulated network
/// configuration.transport = .custom(myTransport)    // any Transport, already bound
/// configuration.transport = .udpAndTCP()             // import BCacheTransportTCP
/// configuration.transport = .udpAndTCP().encrypted(keyring: keyring)   // import BCacheSecure
/// ```
public struct TransportProvider: Sendable {
    /// Makes the transport, bound to the listen address.
    public var make: @Sendable (NodeAddress) async throws -> any Transport

    /// A provider from a closure receiving the parsed listen address.
    public init(make: @escaping @Sendable (NodeAddress) async throws -> any Transport) {
        self.make = make
    }

    /// A transport on an ``BCacheTransport/InMemoryNetwork``, bound to the listen address.
    public static func inMemory(
        _ network: InMemoryNetwork, configuration: InMemoryTransport.Configuration = .init()
    ) -> TransportProvider {
        TransportProvider { address in
            try network.makeTransport(address: address, configuration: configuration)
        }
    }

    /// A transport made and bound by the caller; the listen address is ignored. The cache owns
    /// it from then on and closes it when it stops.
    public static func custom(_ transport: any Transport) -> TransportProvider {
        TransportProvider { _ in transport }
    }
}
