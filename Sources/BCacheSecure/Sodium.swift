import CSodium

/// The libsodium calls BCacheSecure makes, behind one initialization.
///
/// `sodium_init()` must run before any other libsodium function; a `static let` runs it once,
/// thread-safely, the first time anything here is used.
enum Sodium {
    private static let initialized: Int32 = sodium_init()

    /// Makes sure libsodium is initialized. `sodium_init()` returns 0 (done now), 1 (done
    /// before) or -1 (failure: no usable random source); the last cannot be recovered from.
    static func ensureInitialized() {
        precondition(initialized >= 0, "libsodium failed to initialize (sodium_init() returned -1)")
    }

    /// Fills `buffer` with bytes from libsodium's random generator.
    static func randomBytes(_ buffer: UnsafeMutableRawBufferPointer) {
        ensureInitialized()
        // randombytes_buf takes a non-optional pointer: an empty buffer has none.
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        randombytes_buf(base, buffer.count)
    }

    /// BLAKE2b (`crypto_generichash`) of `domain` then `input`, keyed by `key` when given, truncated
    /// to its first 8 bytes read little-endian.
    ///
    /// The hash is computed at 16 bytes (libsodium's minimum output) and truncated: what is
    /// needed is a short, stable tag, not a full-strength digest.
    static func shortHash(
        domain: String, input: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer? = nil
    ) -> UInt64 {
        ensureInitialized()
        // One-shot hash of `domain | 0 | input`: the inputs are a few bytes (a label), and the
        // streaming state type does not import into Swift.
        var message = Array(domain.utf8)
        message.append(0)
        message.append(contentsOf: input)
        var digest = [UInt8](repeating: 0, count: 16)
        let keyPointer = key?.baseAddress?.assumingMemoryBound(to: UInt8.self)
        crypto_generichash(&digest, 16, message, UInt64(message.count), keyPointer, key?.count ?? 0)
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(digest[index]) << (8 * UInt64(index)) }
        return value
    }

    /// XChaCha20-Poly1305 (IETF) key size: 32.
    static let keyBytes = Int(crypto_aead_xchacha20poly1305_ietf_keybytes())
    /// XChaCha20-Poly1305 (IETF) nonce size: 24.
    static let nonceBytes = Int(crypto_aead_xchacha20poly1305_ietf_npubbytes())
    /// Poly1305 tag size: 16.
    static let tagBytes = Int(crypto_aead_xchacha20poly1305_ietf_abytes())
}
