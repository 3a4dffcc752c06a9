extension SecureTransport {
    /// Why a secure transport refused an incoming packet or frame.
    ///
    /// Checked in this order, cheapest first, so that a message for another cluster or sealed
    /// with an unknown key costs no decryption.
    public enum RejectionReason: String, Error, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// Starts with the sealed marker but is too short to hold a sealed envelope.
        case malformed
        /// Sealed for another cluster: its label tag is not this transport's.
        case wrongCluster
        /// Sealed with a key this node's keyring does not hold.
        case unknownKey
        /// The Poly1305 tag does not verify: tampered, truncated, sealed with another cluster's
        /// label or for another context (a packet as a frame, a frame out of order, replayed into
        /// another stream or direction).
        case authenticationFailed
        /// Its sealed timestamp is older than the maximum message age.
        case tooOld
        /// Its sealed timestamp is further ahead of this node's clock than the allowed skew.
        case fromTheFuture
        /// Plaintext, while the transport verifies incoming messages (`verifyIncoming`).
        case plaintextRefused

        public var description: String { rawValue }
    }
}
