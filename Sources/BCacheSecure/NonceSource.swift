/// Where the 24-byte nonces of sealed messages come from.
///
/// Always libsodium's random generator in production: XChaCha20's 192-bit nonces are safe to
/// pick at random for any number of messages under one key. Tests inject fixed nonces to pin
/// the wire format against libsodium's own primitive.
struct NonceSource: Sendable {
    let fill: @Sendable (UnsafeMutableRawBufferPointer) -> Void

    /// Random nonces from `randombytes_buf`.
    static let random = NonceSource { Sodium.randomBytes($0) }

    /// The same `nonce` every time: for known-answer tests only.
    static func fixed(_ nonce: [UInt8]) -> NonceSource {
        NonceSource { buffer in
            for index in 0..<min(buffer.count, nonce.count) { buffer[index] = nonce[index] }
        }
    }
}
