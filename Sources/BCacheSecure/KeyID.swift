/// The public name of a ``SecretKey``: 8 bytes of a keyed BLAKE2b hash, sent in the clear in
/// every sealed envelope so that a receiver tries exactly the one key that can open it.
///
/// Computed as the first 8 bytes (little-endian) of `crypto_generichash` with the key as the
/// hashing key, output length 16, over the domain string `"bcache-secure key-id v1"` and its
/// terminating zero. Knowing it reveals nothing usable about the key; two different keys share
/// an ID with probability 2^-64, in which case opening fails authentication rather than using
/// the wrong key silently.
public struct KeyID: Hashable, Sendable, CustomStringConvertible {
    /// The 8 bytes as a little-endian integer (the wire order).
    public let rawValue: UInt64

    /// The ID with these 8 bytes (little-endian), as read from an envelope.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Sixteen hexadecimal digits, in wire (little-endian byte) order.
    public var description: String {
        var text = ""
        for index in 0..<8 {
            let byte = UInt8(truncatingIfNeeded: rawValue >> (8 * UInt64(index)))
            let digits = String(byte, radix: 16)
            text += byte < 16 ? "0" + digits : digits
        }
        return text
    }
}
