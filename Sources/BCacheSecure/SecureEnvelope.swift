import BCacheBase
import CSodium

/// The wire format of sealed messages, and the sealing and opening of one message.
///
/// ```
/// offset  size  field
///      0     1  marker 0xB5: sealed, format version 1
///      1     4  label tag: BLAKE2b of the cluster label, first 4 bytes, little-endian
///      5     8  key ID: see KeyID
///     13    24  nonce: random
///     37     n  ciphertext of the sealed payload
///   37+n    16  Poly1305 tag
/// ```
///
/// The sealed payload is, for a packet, `timestamp (u64 LE, ms since the epoch) | packet`; for the
/// first frame of a stream direction `timestamp | salt (16) | frame`; for later frames just the
/// frame. The associated data, authenticated but not sent, is
///
/// ```
/// bytes 0..<13 of the envelope | kind (1 packet, 2 frame) | label length (u8) | label (UTF-8)
/// frames only: direction (0 initiator to acceptor, 1 back) | sequence (u64 LE) | salt (if sequence > 0)
/// ```
///
/// Plaintext (when migration settings allow it) is sent as is, unless its first byte is 0xB4 or
/// 0xB5, in which case it is prefixed by the escape byte 0xB4; so a receiver always tells sealed
/// from plaintext by the first byte alone.
struct SecureEnvelope: Sendable {
    static let sealedMarker: UInt8 = 0xB5
    static let escapedPlaintextMarker: UInt8 = 0xB4
    /// Marker, label tag and key ID: what a receiver checks before any cryptography.
    static let headerSize = 13
    static let nonceSize = 24
    static let tagSize = 16
    static let ciphertextOffset = headerSize + nonceSize
    /// Header, nonce and tag.
    static let overhead = ciphertextOffset + tagSize
    static let timestampSize = 8
    /// What a packet grows by when sealed: 61 bytes.
    static let packetOverhead = overhead + timestampSize
    /// What the first frame of a direction grows by when sealed (later frames grow by 53): 77 bytes.
    static let frameOverhead = overhead + timestampSize + StreamSalt.byteCount

    enum Kind: UInt8 {
        case packet = 1
        case frame = 2
    }

    /// Where a frame sits in its stream, bound into its associated data.
    struct FramePosition: Sendable {
        /// 0 for frames from the stream's initiator, 1 for frames from its acceptor.
        var direction: UInt8
        /// The number of sealed frames sent before this one in this direction.
        var sequence: UInt64
        /// The direction's salt; nil for the first frame, which carries it inside.
        var salt: StreamSalt?
    }

    /// The cluster label's UTF-8 bytes (at most 255).
    let label: [UInt8]
    /// The first 4 bytes of the label's hash, sent in the clear.
    let labelTag: UInt32

    init(label: String) {
        self.label = Array(label.utf8)
        self.labelTag = self.label.withUnsafeBytes { bytes in
            UInt32(truncatingIfNeeded: Sodium.shortHash(domain: "bcache-secure label v1", input: bytes))
        }
    }

    // MARK: Sealing

    /// Seals `payload`, preceded inside the ciphertext by `timestamp` and `salt` when given.
    func seal(
        _ payload: [UInt8], timestamp: UInt64?, salt: StreamSalt?, kind: Kind, position: FramePosition?,
        key: SecretKey, nonce: NonceSource
    ) -> [UInt8] {
        let innerCount = (timestamp == nil ? 0 : Self.timestampSize) + (salt == nil ? 0 : StreamSalt.byteCount)
        let plaintextCount = innerCount + payload.count
        var writer = ByteWriter(reservingCapacity: Self.overhead + plaintextCount)
        writer.writeByte(Self.sealedMarker)
        writer.writeLittleEndian(labelTag)
        writer.writeLittleEndian(key.id.rawValue)
        writer.writeBytes(repeatElement(0 as UInt8, count: Self.nonceSize))
        if let timestamp { writer.writeFixed64(timestamp) }
        if let salt {
            writer.writeFixed64(salt.low)
            writer.writeFixed64(salt.high)
        }
        writer.writeBytes(payload)
        writer.writeBytes(repeatElement(0 as UInt8, count: Self.tagSize))
        var bytes = (consume writer).bytes
        bytes.withUnsafeMutableBytes { buffer in
            let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            nonce.fill(UnsafeMutableRawBufferPointer(start: base + Self.headerSize, count: Self.nonceSize))
            withAssociatedData(header: UnsafeRawBufferPointer(buffer), kind: kind, position: position) { ad in
                key.withUnsafeBytes { key in
                    // In place: libsodium's AEAD allows the ciphertext to overwrite the message.
                    var written: UInt64 = 0
                    _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                        base + Self.ciphertextOffset, &written, base + Self.ciphertextOffset,
                        UInt64(plaintextCount), ad.baseAddress, UInt64(ad.count), nil, base + Self.headerSize,
                        key.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        return bytes
    }

    // MARK: Opening

    /// Checks the clear header of sealed `bytes` and opens them with the keyring's matching key.
    ///
    /// - Parameter minimumPlaintext: the inner header the payload must at least hold (timestamp,
    ///   salt): shorter input is ``SecureTransport/RejectionReason/malformed``.
    /// - Returns: the sealed payload (inner header included) and the key that opened it.
    func open(
        _ bytes: [UInt8], kind: Kind, position: FramePosition?, minimumPlaintext: Int, keyring: Keyring
    ) throws(SecureTransport.RejectionReason) -> (plaintext: [UInt8], keyID: KeyID) {
        guard bytes.count >= Self.overhead + minimumPlaintext else { throw .malformed }
        var reader = ByteReader(bytes)
        let header: (marker: UInt8, tag: UInt32, keyID: UInt64)
        do {
            header = (try reader.readByte(), try reader.readLittleEndian(UInt32.self), try reader.readFixed64())
        } catch {
            throw .malformed
        }
        guard header.marker == Self.sealedMarker else { throw .malformed }
        guard header.tag == labelTag else { throw .wrongCluster }
        let keyID = KeyID(rawValue: header.keyID)
        guard let key = keyring.key(for: keyID) else { throw .unknownKey }
        let plaintextCount = bytes.count - Self.overhead
        var opened = true
        let plaintext = [UInt8](unsafeUninitializedCapacity: plaintextCount) { output, initialized in
            bytes.withUnsafeBytes { input in
                let base = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
                withAssociatedData(header: input, kind: kind, position: position) { ad in
                    key.withUnsafeBytes { key in
                        var written: UInt64 = 0
                        let status = crypto_aead_xchacha20poly1305_ietf_decrypt(
                            output.baseAddress, &written, nil, base + Self.ciphertextOffset,
                            UInt64(bytes.count - Self.ciphertextOffset), ad.baseAddress, UInt64(ad.count),
                            base + Self.headerSize, key.baseAddress!.assumingMemoryBound(to: UInt8.self))
                        opened = status == 0
                    }
                }
            }
            initialized = opened ? plaintextCount : 0
        }
        guard opened else { throw .authenticationFailed }
        return (plaintext, keyID)
    }

    // MARK: Associated data

    /// Calls `body` with the associated data of a message whose envelope starts with `header`,
    /// built on the stack.
    private func withAssociatedData<R>(
        header: UnsafeRawBufferPointer, kind: Kind, position: FramePosition?,
        _ body: (UnsafeBufferPointer<UInt8>) -> R
    ) -> R {
        var count = Self.headerSize + 2 + label.count
        if let position { count += 1 + 8 + (position.salt == nil ? 0 : StreamSalt.byteCount) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { ad in
            var index = 0
            func append(_ byte: UInt8) {
                ad[index] = byte
                index += 1
            }
            func append64(_ value: UInt64) {
                for shift in stride(from: 0, to: 64, by: 8) { append(UInt8(truncatingIfNeeded: value >> shift)) }
            }
            for offset in 0..<Self.headerSize { append(header[offset]) }
            append(kind.rawValue)
            append(UInt8(label.count))
            for byte in label { append(byte) }
            if let position {
                append(position.direction)
                append64(position.sequence)
                if let salt = position.salt {
                    append64(salt.low)
                    append64(salt.high)
                }
            }
            return body(UnsafeBufferPointer(ad))
        }
    }
}
