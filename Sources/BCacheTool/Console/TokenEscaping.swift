/// The percent escaping of the node's line protocol: one token never holds a space.
///
/// Keys, values and member names cross the protocol as single tokens. Every byte outside
/// printable ASCII (`!` to `~`), and `%` itself, is written `%XX` (two uppercase hex digits), so a
/// token never contains whitespace or a line break and any bytes survive a round trip:
/// `hello world` is `hello%20world`, `café` is `caf%C3%A9`.
public enum TokenEscaping {
    /// `bytes` as one token.
    public static func escape(_ bytes: some Sequence<UInt8>) -> String {
        var text = ""
        for byte in bytes {
            if byte > 0x20, byte < 0x7F, byte != UInt8(ascii: "%") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                text += "%"
                text.unicodeScalars.append(hexDigit(byte >> 4))
                text.unicodeScalars.append(hexDigit(byte & 0x0F))
            }
        }
        return text
    }

    /// `text`'s UTF-8 bytes as one token.
    public static func escape(_ text: String) -> String {
        escape(text.utf8)
    }

    /// The bytes of a token, or nil when a `%` is not followed by two hex digits.
    public static func unescape(_ token: some StringProtocol) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.utf8.count)
        var iterator = token.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func hexDigit(_ nibble: UInt8) -> Unicode.Scalar {
        Unicode.Scalar(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") + nibble - 10)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
