import BCacheTransport

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
    /// Give every node the same key and cluster label. Rotate keys on the shared `keyring`
    /// (`install`, `use`, `remove`) while the cluster runs.
    ///
    /// - Parameters:
    ///   - keyring: the keys to seal and open with; keep it to rotate them later.
    ///   - configuration: the cluster label, migration mode and replay window.
    public func encrypted(
        keyring: Keyring, configuration: SecureTransport.Configuration = .init()
    ) -> TransportProvider {
        let make = self.make
        return TransportProvider { address in
            let inner = try await make(address)
            do {
                return try SecureTransport(wrapping: inner, keyring: keyring, configuration: configuration)
            } catch {
                await inner.close()
                throw error
            }
        }
    }
}
