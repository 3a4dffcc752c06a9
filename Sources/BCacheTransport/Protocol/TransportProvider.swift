/// How a cache gets its ``Transport``: made when the cache is made, from a ``TransportContext``
/// (the parsed listen address and the cache's cluster label, logger, metrics and wall clock).
///
/// The socket transports add their own constructors in their modules (`.udp()` in
/// `BCacheTransportUDP`, `.tcp()` in `BCacheTransportTCP`, `.udpAndTCP()` in
/// `BCacheTransportUDPTCP`), and `BCacheSecure` adds `.encrypted(keyring:)` to wrap any of them,
/// so this module depends on no socket library and a test target can use `.inMemory(network)`
/// alone.
///
/// # Usage
///
/// ```swift
/// configuration.transport = .inMemory(network)      // tests: a simulated network
/// configuration.transport = .custom(myTransport)    // any Transport, already bound
/// configuration.transport = .udpAndTCP()             // import BCacheTransportUDPTCP
/// configuration.transport = .udpAndTCP().encrypted(keyring: keyring)   // import BCacheSecure
/// ```
public struct TransportProvider: Sendable {
    /// Makes the transport, bound to the context's listen address.
    public var make: @Sendable (TransportContext) async throws -> any Transport
    /// The addresses of this host's network interfaces, loopback included (empty when the provider
    /// cannot tell): a cache listening on every interface (`0.0.0.0`, `::`) without an advertised
    /// address announces the first one that is not loopback.
    public var interfaceAddresses: @Sendable () -> [InterfaceAddress]

    /// A provider from a closure receiving the context; `interfaceAddresses` defaults to none.
    public init(
        make: @escaping @Sendable (TransportContext) async throws -> any Transport,
        interfaceAddresses: @escaping @Sendable () -> [InterfaceAddress] = { [] }
    ) {
        self.make = make
        self.interfaceAddresses = interfaceAddresses
    }

    /// A transport on an ``BCacheTransport/InMemoryNetwork``, bound to the listen address.
    public static func inMemory(
        _ network: InMemoryNetwork, configuration: InMemoryTransport.Configuration = .init()
    ) -> TransportProvider {
        TransportProvider { context in
            try network.makeTransport(address: context.listen, configuration: configuration)
        }
    }

    /// A transport made and bound by the caller; the listen address is ignored. The cache owns
    /// it from then on and closes it when it stops.
    public static func custom(_ transport: any Transport) -> TransportProvider {
        TransportProvider { _ in transport }
    }
}
