import Synchronization

/// Where the 24-byte nonces of sealed messages come from.
///
/// Always libsodium's random generator in production: XChaCha20's 192-bit nonces are safe to
/// pick at random for any number of messages under one key. Tests inject fixed nonces to pin
/// the wire format against libsodium's own primitive.
struct NonceSource: Sendable {
    let fill: @Sendable (UnsafeMutableRawBufferPointer) -> Void

    /// Random nonces from `randombytes_buf`, drawn 64 at a time (see ``RandomPool``).
    static let random: NonceSource = {
        let pool = RandomPool()
        return NonceSource { pool.fill($0) }
    }()

    /// The same `nonce` every time: for known-answer tests only.
    static func fixed(_ nonce: [UInt8]) -> NonceSource {
        NonceSource { buffer in
            for index in 0..<min(buffer.count, nonce.count) { buffer[index] = nonce[index] }
        }
    }
}

/// Random bytes from libsodium, fetched in blocks of 1536 bytes (64 nonces) and handed out once
/// each.
///
/// `randombytes_buf` is a system call (`getrandom`) on Linux, about 1 µs: a large share of
/// sealing a small packet. One call per 64 nonces keeps every nonce a fresh draw from the same
/// generator, used once and never repeated, at a sixty-fourth of the cost. Nonces are public, so
/// holding the next ones in memory discloses nothing.
final class RandomPool: Sendable {
    private struct State {
        var bytes = [UInt8](repeating: 0, count: RandomPool.blockSize)
        var offset = RandomPool.blockSize
    }

    static let blockSize = 1536
    private let state = Mutex(State())

    /// Fills `buffer` (at most ``blockSize`` bytes) with bytes not handed out before.
    func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count <= Self.blockSize, "a pool hands out at most \(Self.blockSize) bytes at once")
        state.withLock { state in
            if state.offset + buffer.count > Self.blockSize {
                state.bytes.withUnsafeMutableBytes { Sodium.randomBytes($0) }
                state.offset = 0
            }
            state.bytes.withUnsafeBytes { source in
                buffer.copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: source[state.offset..<state.offset + buffer.count]))
            }
            state.offset += buffer.count
        }
    }
}
