import BCacheTransport
import Logging

extension TransportProvider {
    /// This provider's transport wrapped in a ``SecureTransport``: every packet and stream frame
    /// sealed with the keyring's primary key, and only messages that open with one of its keys
    /// let through.
    ///
    /// ```swift
    /// let keyring = try Keyring(primary: SecretKey(base64: key))
    /// configuration.transport = .udpAndTCP().encrypted(keyring: keyring)
    /// ```
    ///
    /// The cluster label, the wall clock, the logger and the metrics are the cache's (its
    /// ``BCacheTransport/TransportContext``): set the label once, on the cache's configuration.
    /// Give every node the same key and cluster label. Rotate keys on the shared `keyring`
    /// (`install`, `use`, `remove`) while the cluster runs.
    ///
    /// - Parameters:
    ///   - keyring: the keys to seal and open with; keep it to rotate them later.
    ///   - migration: where the node is in a migration from plaintext. Defaults to ``SecureTransport/Migration/encrypted``.
    ///   - maxMessageAge: packets sealed longer ago are refused. Defaults to 30 s.
    ///   - maxClockSkew: packets sealed further ahead of this node's clock are refused. Defaults to 30 s.
    public func encrypted(
        keyring: Keyring,
        migration: SecureTransport.Migration = .encrypted,
        maxMessageAge: Duration = .seconds(30),
        maxClockSkew: Duration = .seconds(30)
    ) -> TransportProvider {
        let make = self.make
        return TransportProvider(
            make: { context in
                var logger = context.logger
                logger[metadataKey: "bcache.transport.secure"] = "true"
                let configuration = SecureTransport.Configuration(
                    clusterLabel: context.clusterLabel, migration: migration, maxMessageAge: maxMessageAge,
                    maxClockSkew: maxClockSkew, clock: context.wallClock, logger: logger,
                    metricsFactory: context.metricsFactory, metricsDimensions: context.metricsDimensions)
                // Checked before the inner transport binds: nothing to close on a bad setting.
                try configuration.validate()
                let inner = try await make(context)
                do {
                    return try SecureTransport(wrapping: inner, keyring: keyring, configuration: configuration)
                } catch {
                    await inner.close()
                    throw error
                }
            },
            interfaceAddresses: interfaceAddresses)
    }
}
