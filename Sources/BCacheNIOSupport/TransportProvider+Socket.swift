import BCacheTransport
import Logging

extension TransportProvider {
    /// A socket transport's provider: `bind` gets the context and the cache's logger tagged with
    /// `bcache.transport` = `name`; the host's interfaces come from NIO's
    /// `System.enumerateDevices()`.
    package static func socket(
        named name: String,
        bind: @escaping @Sendable (TransportContext, Logger) async throws -> any Transport
    ) -> TransportProvider {
        TransportProvider(
            make: { context in
                var logger = context.logger
                logger[metadataKey: "bcache.transport"] = "\(name)"
                return try await bind(context, logger)
            },
            interfaceAddresses: { InterfaceAddress.current() })
    }
}
