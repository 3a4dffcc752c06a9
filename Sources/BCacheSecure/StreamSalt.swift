/// 16 random bytes that name one direction of one secure stream.
///
/// Sent inside the first sealed frame of a direction and bound into the associated data of every
/// later frame of that direction, so that a frame recorded from another stream cannot be spliced
/// into this one.
struct StreamSalt: Hashable, Sendable {
    var low: UInt64
    var high: UInt64

    static let byteCount = 16

    /// A fresh random salt.
    static func random() -> StreamSalt {
        var salt = StreamSalt(low: 0, high: 0)
        withUnsafeMutableBytes(of: &salt) { Sodium.randomBytes($0) }
        return salt
    }
}
