import BCacheTool
import Testing

/// The protocol's percent escaping: a token never holds whitespace and any bytes round-trip.
@Suite struct TokenEscapingTests {
    @Test func printableASCIIStaysAsItIs() {
        #expect(TokenEscaping.escape("user:42/profile?x=1") == "user:42/profile?x=1")
    }

    @Test func spacesControlsPercentAndNonASCIIAreEscaped() {
        #expect(TokenEscaping.escape("a b\n%é") == "a%20b%0A%25%C3%A9")
    }

    @Test func everyByteRoundTripsAndNoEscapedTokenHoldsWhitespace() throws {
        let bytes = (0...255).map(UInt8.init)
        let token = TokenEscaping.escape(bytes)
        let hasWhitespace = token.unicodeScalars.contains { $0.properties.isWhitespace }
        #expect(!hasWhitespace)
        #expect(try #require(TokenEscaping.unescape(token)) == bytes)
    }

    @Test func lowercaseHexIsAccepted() {
        #expect(TokenEscaping.unescape("%c3%a9") == Array("é".utf8))
    }

    @Test(arguments: ["%", "%4", "%G0", "abc%", "%%"])
    func incompleteEscapesAreRefused(token: String) {
        #expect(TokenEscaping.unescape(token) == nil)
    }
}
