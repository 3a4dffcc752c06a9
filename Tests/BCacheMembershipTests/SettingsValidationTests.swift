import BCacheMembership
import Testing

/// `Membership.Settings` are plain values checked by `validate(prefix:)`: a value out of range is
/// an `invalidSettings` error naming it, never a trap when it is set.
@Suite struct SettingsValidationTests {
    @Test func everyPresetIsValid() throws {
        for settings in [
            Membership.Settings.lan, .wan, .local, .singleMachine, Membership.Settings.lan.withoutLifeguard,
        ] {
            try settings.validate()
        }
    }

    @Test func outOfRangeValuesAreNamedWithThePrefix() {
        var settings = Membership.Settings.lan
        settings.probeInterval = .zero
        settings.gossipNodes = Int.max
        // Setting them did not trap; validating names the first one.
        let error = #expect(throws: Membership.NodeError.self) { try settings.validate(prefix: "membership.") }
        #expect(error?.code == .invalidSettings)
        #expect(error?.message.contains("membership.probeInterval") == true)
        settings.probeInterval = .seconds(1)
        let fanOut = #expect(throws: Membership.NodeError.self) { try settings.validate() }
        #expect(fanOut?.message.contains("gossipNodes") == true)
    }

    @Test func theLimitsAreInclusive() throws {
        var settings = Membership.Settings.lan
        settings.deadMemberReapTimeout = Membership.Settings.longestDuration
        settings.retransmitMultiplier = Membership.Settings.largestMultiplier
        settings.joinMaxAttempts = .max
        settings.userPayloadQueueLimit = .max
        try settings.validate()
        settings.deadMemberReapTimeout = Membership.Settings.longestDuration + .nanoseconds(1)
        #expect(throws: Membership.NodeError.self) { try settings.validate() }
    }
}
