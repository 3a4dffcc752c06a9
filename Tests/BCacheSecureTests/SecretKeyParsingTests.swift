import BCacheSecure
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Keys load from base64, hex, files and environment variables; wrong lengths and bad encodings
/// are typed errors.
@Suite struct SecretKeyParsingTests {
    static let bytes: [UInt8] = (0..<32).map { UInt8($0 * 7 % 256) }
    static let base64 = "AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk="
    static let hex = "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9"

    @Test func base64HexAndBytesGiveTheSameKey() throws {
        let reference = try SecretKey(bytes: Self.bytes)
        #expect(try SecretKey(base64: Self.base64).id == reference.id)
        #expect(try SecretKey(base64: String(Self.base64.dropLast())).id == reference.id)  // no padding
        #expect(try SecretKey(hex: Self.hex).id == reference.id)
        #expect(try SecretKey(hex: Self.hex.uppercased()).id == reference.id)
        #expect(try SecretKey(text: "  \(Self.base64)\n").id == reference.id)
        #expect(try SecretKey(text: Self.hex + "\r\n").id == reference.id)
        #expect(reference.exportBase64() == Self.base64)
        #expect(reference.exportHex() == Self.hex)
    }

    @Test(arguments: [
        ("", SecretKeyError.Code.wrongLength),
        ("AAAA", .wrongLength),  // 3 bytes
        (String(repeating: "A", count: 48), .wrongLength),  // 36 bytes of base64
        ("00" + String(repeating: "11", count: 30), .wrongLength),  // 31 bytes of hex
        (String(repeating: "ab", count: 33), .wrongLength),  // 33 bytes of hex
        ("not a key at all, not even close!!!!!!!!!!!", .invalidEncoding),
        ("AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk=!", .invalidEncoding),
        (String(repeating: "A", count: 5000), .wrongLength),
    ])
    func badTextIsATypedError(text: String, code: SecretKeyError.Code) {
        let error = #expect(throws: SecretKeyError.self) { try SecretKey(text: text) }
        #expect(error?.code == code)
    }

    @Test func explicitEncodingsRejectTheOther() {
        #expect(throws: SecretKeyError(.invalidEncoding, "")) { try SecretKey(hex: Self.base64) }
        #expect(throws: SecretKeyError(.invalidEncoding, "")) { try SecretKey(hex: "zz" + Self.hex.dropFirst(2)) }
        #expect(throws: SecretKeyError(.wrongLength, "")) { try SecretKey(base64: Self.hex) }  // 48 bytes
    }

    @Test func wrongByteCountsAreRefused() {
        #expect(throws: SecretKeyError(.wrongLength, "")) { try SecretKey(bytes: [UInt8](repeating: 1, count: 31)) }
        #expect(throws: SecretKeyError(.wrongLength, "")) { try SecretKey(bytes: [UInt8](repeating: 1, count: 33)) }
    }

    @Test func keysLoadFromFiles() throws {
        let path = "/tmp/bcache-secure-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).key"
        defer { unlink(path) }
        try write(Self.base64 + "\n", to: path)
        #expect(try SecretKey(contentsOfFile: path).id == SecretKey(bytes: Self.bytes).id)
        try write(String(repeating: "A", count: 5000), to: path)
        #expect(throws: SecretKeyError(.unreadableFile, "")) { try SecretKey(contentsOfFile: path) }
        #expect(throws: SecretKeyError(.unreadableFile, "")) { try SecretKey(contentsOfFile: path + ".missing") }
    }

    @Test func keysLoadFromEnvironmentVariables() throws {
        let name = "BCACHE_SECURE_TEST_KEY_\(getpid())"
        setenv(name, Self.hex, 1)
        defer { unsetenv(name) }
        #expect(try SecretKey(environmentVariable: name).id == SecretKey(bytes: Self.bytes).id)
        #expect(throws: SecretKeyError(.missingEnvironmentVariable, "")) {
            try SecretKey(environmentVariable: name + "_UNSET")
        }
    }

    @Test func generatedKeysAreDistinctAndRoundTrip() throws {
        let first = try SecretKey.generate()
        let second = try SecretKey.generate()
        #expect(first.id != second.id)
        #expect(try SecretKey(base64: first.exportBase64()).id == first.id)
        #expect(try SecretKey(hex: first.exportHex()).id == first.id)
    }

    private func write(_ text: String, to path: String) throws {
        let file = try #require(fopen(path, "wb"))
        defer { fclose(file) }
        let bytes = Array(text.utf8)
        #expect(fwrite(bytes, 1, bytes.count, file) == bytes.count)
    }
}
