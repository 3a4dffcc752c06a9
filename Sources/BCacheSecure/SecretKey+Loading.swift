import CSodium

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension SecretKey {
    /// The longest key text accepted (a file, a variable, a string): far more than any encoding
    /// of 32 bytes, so longer input is refused before it is decoded.
    static let maxTextLength = 4096

    /// A key from standard base64 (RFC 4648 alphabet, with or without `=` padding), as printed by
    /// `bcache keygen`. Surrounding whitespace is ignored.
    ///
    /// - Throws: ``SecretKeyError`` with code ``SecretKeyError/Code/invalidEncoding`` or
    ///   ``SecretKeyError/Code/wrongLength``.
    public convenience init(base64: String) throws(SecretKeyError) {
        try self.init(adopting: Self.decodeText(Array(base64.utf8), as: .base64, source: "the base64 text"))
    }

    /// A key from 64 hexadecimal digits (either case). Surrounding whitespace is ignored.
    ///
    /// - Throws: ``SecretKeyError`` with code ``SecretKeyError/Code/invalidEncoding`` or
    ///   ``SecretKeyError/Code/wrongLength``.
    public convenience init(hex: String) throws(SecretKeyError) {
        try self.init(adopting: Self.decodeText(Array(hex.utf8), as: .hex, source: "the hex text"))
    }

    /// A key from text in either encoding: hexadecimal when the text is an even number of hex
    /// digits (a key is 64), base64 otherwise (a key is 44 characters with padding, 43 without).
    ///
    /// - Throws: ``SecretKeyError`` with code ``SecretKeyError/Code/invalidEncoding`` or
    ///   ``SecretKeyError/Code/wrongLength``.
    public convenience init(text: String) throws(SecretKeyError) {
        try self.init(adopting: Self.decodeText(Array(text.utf8), as: nil, source: "the key text"))
    }

    /// A key from a file holding its base64 or hex text (see ``init(text:)``), such as one written
    /// by `swift package bcache-keygen --output PATH`. A trailing newline is fine.
    ///
    /// - Throws: ``SecretKeyError`` with code ``SecretKeyError/Code/unreadableFile`` when the file
    ///   cannot be read or is larger than 4 KiB, and the decoding errors of ``init(text:)``.
    public convenience init(contentsOfFile path: String) throws(SecretKeyError) {
        var contents = try Self.readSmallFile(path)
        defer { sodium_memzero(&contents, contents.count) }
        try self.init(adopting: Self.decodeText(contents, as: nil, source: "the key file \(path)"))
    }

    /// A key from the text (base64 or hex, see ``init(text:)``) of environment variable `name`.
    ///
    /// - Throws: ``SecretKeyError`` with code ``SecretKeyError/Code/missingEnvironmentVariable``
    ///   when it is not set, and the decoding errors of ``init(text:)``.
    public convenience init(environmentVariable name: String) throws(SecretKeyError) {
        guard let value = getenv(name) else {
            throw SecretKeyError(.missingEnvironmentVariable, "the environment variable \(name) is not set")
        }
        let length = strlen(value)
        guard length <= Self.maxTextLength else {
            throw SecretKeyError(
                .wrongLength, "the environment variable \(name) holds \(length) bytes, too long for a key")
        }
        var text = Array(UnsafeRawBufferPointer(start: value, count: length))
        defer { sodium_memzero(&text, text.count) }
        try self.init(adopting: Self.decodeText(text, as: nil, source: "the environment variable \(name)"))
    }

    enum Encoding {
        case base64, hex
    }

    /// Decodes key text (zeroing the trimmed copy it makes) into guarded storage, choosing the
    /// encoding when `encoding` is nil.
    static func decodeText(
        _ input: consuming [UInt8], as encoding: Encoding?, source: String
    ) throws(SecretKeyError) -> UnsafeMutableRawPointer {
        var raw = input
        defer { sodium_memzero(&raw, raw.count) }
        guard raw.count <= maxTextLength else {
            throw SecretKeyError(.wrongLength, "\(source) is \(raw.count) bytes, too long for a key")
        }
        var text = Array(trimmingWhitespace(raw))
        defer { sodium_memzero(&text, text.count) }
        guard !text.isEmpty else { throw SecretKeyError(.wrongLength, "\(source) is empty") }
        let isHex = text.count % 2 == 0 && text.allSatisfy(isHexDigit)
        switch encoding ?? (isHex ? .hex : .base64) {
        case .hex:
            return try decoding(capacity: text.count / 2, what: "\(source) (\(text.count) hex digits)") {
                scratch throws(SecretKeyError) in
                var written = 0
                let status = text.withUnsafeBufferPointer { hex in
                    hex.withMemoryRebound(to: CChar.self) { hex in
                        sodium_hex2bin(
                            scratch.baseAddress!.assumingMemoryBound(to: UInt8.self), scratch.count, hex.baseAddress,
                            hex.count, nil, &written, nil)
                    }
                }
                guard status == 0, isHex else {
                    throw SecretKeyError(.invalidEncoding, "\(source) is not an even number of hexadecimal digits")
                }
                return written
            }
        case .base64:
            return try decoding(capacity: text.count, what: "\(source) (\(text.count) base64 characters)") {
                scratch throws(SecretKeyError) in
                for variant in [sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING] {
                    var written = 0
                    let status = text.withUnsafeBufferPointer { base64 in
                        base64.withMemoryRebound(to: CChar.self) { base64 in
                            sodium_base642bin(
                                scratch.baseAddress!.assumingMemoryBound(to: UInt8.self), scratch.count,
                                base64.baseAddress, base64.count, nil, &written, nil, variant)
                        }
                    }
                    if status == 0 { return written }
                }
                throw SecretKeyError(
                    .invalidEncoding, "\(source) is neither base64 (standard alphabet) nor 64 hexadecimal digits")
            }
        }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }

    private static func trimmingWhitespace(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }),
            let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return [] }
        return bytes[first...last]
    }

    /// Reads at most `maxTextLength` bytes of a file; a longer file is an error.
    private static func readSmallFile(_ path: String) throws(SecretKeyError) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw SecretKeyError(.unreadableFile, "cannot open the key file \(path) (errno \(errno))")
        }
        defer { fclose(file) }
        // One byte more than allowed, to tell "exactly at the limit" from "over it".
        var buffer = [UInt8](repeating: 0, count: maxTextLength + 1)
        let count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        guard ferror(file) == 0 else {
            sodium_memzero(&buffer, buffer.count)
            throw SecretKeyError(.unreadableFile, "cannot read the key file \(path)")
        }
        guard count <= maxTextLength else {
            sodium_memzero(&buffer, buffer.count)
            throw SecretKeyError(.unreadableFile, "the key file \(path) is larger than \(maxTextLength) bytes")
        }
        let contents = Array(buffer[0..<count])
        sodium_memzero(&buffer, buffer.count)
        return contents
    }
}
