import BCache
import BCacheSecure
import Testing

/// Every public coded error describes itself the same way (`TypeName.code: message`) and is equal
/// to another of its kind when the codes are, whatever the messages.
@Suite struct ErrorDescriptionTests {
    @Test func everyCodedErrorDescribesItselfAsTypeCodeAndMessage() {
        let descriptions = [
            CodecError(.truncated, "m").description,
            StoreError(.keyTooLarge, "m").description,
            TransportError(.unreachable, "m").description,
            Membership.NodeError(.stopped, "m").description,
            Membership.WireError(.badMagic, "m").description,
            KeyringError(.notInstalled, "m").description,
            SecretKeyError(.wrongLength, "m").description,
            BCacheError(.joinFailed, "m").description,
        ]
        #expect(
            descriptions == [
                "CodecError.truncated: m",
                "StoreError.keyTooLarge: m",
                "TransportError.unreachable: m",
                "Membership.NodeError.stopped: m",
                "Membership.WireError.badMagic: m",
                "KeyringError.notInstalled: m",
                "SecretKeyError.wrongLength: m",
                "BCacheError.joinFailed: m",
            ])
    }

    @Test func errorsAreEqualByCodeNotByMessage() {
        #expect(StoreError(.keyTooLarge, "a") == StoreError(.keyTooLarge, "b"))
        #expect(StoreError(.keyTooLarge, "a") != StoreError(.valueTooLarge, "a"))
        #expect(Set([TransportError(.closed, "a"), TransportError(.closed, "b")]).count == 1)
    }
}
