import BCacheSecure
import Testing

/// Key bytes never appear in descriptions, debug descriptions, dumps, keyrings or errors.
@Suite struct SecretKeyDescriptionTests {
    static func renderings(of key: SecretKey) -> [String] {
        var dumped = ""
        dump(key, to: &dumped)
        let keyring = Keyring(primary: key)
        return [
            key.description, key.debugDescription, String(describing: key), String(reflecting: key), "\(key)",
            dumped, keyring.description, String(reflecting: keyring), String(describing: [key]),
        ]
    }

    @Test func noRenderingShowsTheKeyInAnyEncoding() throws {
        for _ in 0..<20 {
            let key = try SecretKey.generate()
            let secrets = [key.exportBase64(), key.exportHex(), key.exportHex().uppercased()]
            // Any 8 consecutive characters of an encoding would be a leak.
            let fragments = secrets.flatMap { secret in
                stride(from: 0, to: secret.count - 8, by: 4).map { offset in
                    String(secret.dropFirst(offset).prefix(8))
                }
            }
            for rendering in Self.renderings(of: key) {
                #expect(rendering.contains(key.id.description))
                for fragment in fragments {
                    #expect(!rendering.contains(fragment), "\(rendering) shows part of the key")
                }
            }
        }
    }

    @Test func aKeyWithRecognisableBytesDescribesItselfByIDOnly() throws {
        let key = try SecretKey(bytes: [UInt8](repeating: 0x41, count: 32))  // "AAAA…"
        #expect(key.description == "SecretKey(id: \(key.id))")
        #expect(!key.description.contains("AAAA"))
        #expect(!key.description.contains("4141"))
        #expect(!key.description.contains("65, 65"))
    }

    @Test func parsingErrorsDoNotEchoTheText() {
        let almostAKey = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="  // 33 bytes
        let error = #expect(throws: SecretKeyError.self) { try SecretKey(base64: almostAKey + "QQ==") }
        #expect(error.map { !$0.description.contains("QUFBQUFB") } == true)
    }
}
