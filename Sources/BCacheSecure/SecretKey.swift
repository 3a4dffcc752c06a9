import CSodium

/// A 32-byte XChaCha20-Poly1305 key, kept where it is hard to leak.
///
/// The bytes live in memory from `sodium_malloc`: guard pages on both sides, locked into RAM
/// (`mlock`, so they are not swapped out, where the system allows it), made read-only once the
/// key is written, and zeroed by `sodium_free` when the last reference goes. Intermediate
/// buffers (decoded text, file contents) are zeroed with `sodium_memzero` as soon as they are
/// used. `description` and `debugDescription` show the ``KeyID`` only, never the bytes.
///
/// What this cannot protect: text a caller still holds (a Swift `String` cannot be zeroed), the
/// process environment, and a key file on disk. Keep key files readable by the service's user
/// only.
///
/// # Usage
///
/// ```swift
/// let key = try SecretKey(base64: "q2xv…=")          // or SecretKey(hex:), SecretKey(text:)
/// let fromFile = try SecretKey(contentsOfFile: "/etc/bcache/key")
/// let fromEnvironment = try SecretKey(environmentVariable: "BCACHE_KEY")
/// let fresh = try SecretKey.generate()
/// print(fresh)                                        // SecretKey(id: 3f09c1…)
/// print(fresh.exportBase64())                         // share with the other nodes
/// ```
public final class SecretKey: @unchecked Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    // @unchecked: the pointer is written once, in init, then made read-only and only read until
    // deinit; reading immutable memory from many threads is safe.

    /// The length of a key in bytes.
    public static let byteCount = 32

    /// The key's public name, sent with every sealed message.
    public let id: KeyID

    private let storage: UnsafeMutableRawPointer

    /// Takes ownership of `storage` (from `sodium_malloc`, `byteCount` bytes, already written).
    init(adopting storage: UnsafeMutableRawPointer) {
        self.storage = storage
        self.id = KeyID(
            rawValue: Sodium.shortHash(
                domain: "bcache-secure key-id v1", input: UnsafeRawBufferPointer(start: nil, count: 0),
                key: UnsafeRawBufferPointer(start: storage, count: Self.byteCount)))
        sodium_mprotect_readonly(storage)
    }

    deinit {
        // Zeroes the bytes, unlocks them and releases the guard pages.
        sodium_free(storage)
    }

    /// A new random key from libsodium's generator (`crypto_aead_xchacha20poly1305_ietf_keygen`).
    ///
    /// - Throws: ``SecretKeyError`` with code ``SecretKeyError/Code/secureMemoryUnavailable``.
    public static func generate() throws(SecretKeyError) -> SecretKey {
        let storage = try allocate(Self.byteCount)
        crypto_aead_xchacha20poly1305_ietf_keygen(storage.assumingMemoryBound(to: UInt8.self))
        return SecretKey(adopting: storage)
    }

    /// A key made of exactly 32 `bytes`.
    ///
    /// - Throws: ``SecretKeyError`` with code ``SecretKeyError/Code/wrongLength``.
    public convenience init(bytes: some Collection<UInt8>) throws(SecretKeyError) {
        guard bytes.count == Self.byteCount else {
            throw SecretKeyError(.wrongLength, "a key is \(Self.byteCount) bytes, not \(bytes.count)")
        }
        let storage = try Self.allocate(Self.byteCount)
        let target = storage.assumingMemoryBound(to: UInt8.self)
        for (index, byte) in bytes.enumerated() { target[index] = byte }
        self.init(adopting: storage)
    }

    /// Decodes key bytes with `decode`, which writes into a scratch buffer of at least `capacity`
    /// bytes and returns how many it wrote; the scratch buffer is guarded and zeroed on release.
    ///
    /// - Returns: guarded storage holding the 32 bytes, for ``init(adopting:)``.
    static func decoding(
        capacity: Int, what: String, _ decode: (UnsafeMutableRawBufferPointer) throws(SecretKeyError) -> Int
    ) throws(SecretKeyError) -> UnsafeMutableRawPointer {
        let scratchSize = max(capacity, 1)
        let scratch = try allocate(scratchSize)
        defer { sodium_free(scratch) }
        let count = try decode(UnsafeMutableRawBufferPointer(start: scratch, count: scratchSize))
        guard count == byteCount else {
            throw SecretKeyError(.wrongLength, "\(what) decodes to \(count) bytes; a key is \(byteCount)")
        }
        let storage = try allocate(byteCount)
        storage.copyMemory(from: scratch, byteCount: byteCount)
        return storage
    }

    private static func allocate(_ count: Int) throws(SecretKeyError) -> UnsafeMutableRawPointer {
        Sodium.ensureInitialized()
        guard let pointer = sodium_malloc(count) else {
            throw SecretKeyError(.secureMemoryUnavailable, "sodium_malloc could not allocate \(count) bytes")
        }
        return pointer
    }

    /// Calls `body` with the key's 32 bytes. The memory is read-only; do not keep the pointer.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage, count: Self.byteCount))
    }

    /// The key as standard base64 with padding (44 characters), the form `bcache keygen` prints.
    ///
    /// This reveals the key: use it only to hand the key to another node or to a secret store.
    public func exportBase64() -> String {
        let length = Int(sodium_base64_encoded_len(Self.byteCount, sodium_base64_VARIANT_ORIGINAL))
        var text = [CChar](repeating: 0, count: length)
        withUnsafeBytes { key in
            _ = sodium_bin2base64(
                &text, length, key.baseAddress!.assumingMemoryBound(to: UInt8.self), key.count,
                sodium_base64_VARIANT_ORIGINAL)
        }
        defer { sodium_memzero(&text, length) }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The key as 64 lowercase hexadecimal digits.
    ///
    /// This reveals the key: use it only to hand the key to another node or to a secret store.
    public func exportHex() -> String {
        let length = Self.byteCount * 2 + 1
        var text = [CChar](repeating: 0, count: length)
        withUnsafeBytes { key in
            _ = sodium_bin2hex(&text, length, key.baseAddress!.assumingMemoryBound(to: UInt8.self), key.count)
        }
        defer { sodium_memzero(&text, length) }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `SecretKey(id: <key ID>)`: never the key bytes.
    public var description: String { "SecretKey(id: \(id))" }

    /// Same as ``description``: never the key bytes.
    public var debugDescription: String { description }

    /// Shows the key ID only, so that `dump(key)` and debuggers print no key bytes either.
    public var customMirror: Mirror { Mirror(self, children: ["id": id]) }
}
