import BCacheMembership
import Testing

/// The defaults are memberlist's LAN profile; the presets are its WAN and local profiles.
@Suite struct SettingsTests {
    @Test func defaultsAreTheLANProfile() {
        let settings = Membership.Settings()
        #expect(settings.probeInterval == .seconds(1))
        #expect(settings.probeTimeout == .milliseconds(500))
        #expect(settings.indirectChecks == 3)
        #expect(settings.suspicionMultiplier == 4)
        #expect(settings.suspicionMaxTimeoutMultiplier == 6)
        #expect(settings.retransmitMultiplier == 4)
        #expect(settings.gossipInterval == .milliseconds(200))
        #expect(settings.gossipNodes == 3)
        #expect(settings.pushPullInterval == .seconds(30))
        #expect(settings.lifeguard.maxLocalHealthMultiplier == 8)
        #expect(settings.lifeguard.isBuddySystemEnabled)
    }

    @Test func presetsFollowMemberlist() {
        let wan = Membership.Settings.wan
        #expect(wan.probeInterval == .seconds(5) && wan.probeTimeout == .seconds(3))
        #expect(wan.suspicionMultiplier == 6 && wan.gossipNodes == 4 && wan.gossipInterval == .milliseconds(500))
        let local = Membership.Settings.local
        #expect(local.probeTimeout == .milliseconds(200) && local.indirectChecks == 1)
        #expect(local.retransmitMultiplier == 2 && local.suspicionMultiplier == 3)
        #expect(local.gossipInterval == .milliseconds(100))
    }

    @Test func withoutLifeguardDisablesItsThreeRefinements() {
        let plain = Membership.Settings.lan.withoutLifeguard
        #expect(plain.lifeguard.maxLocalHealthMultiplier == 1)
        #expect(!plain.lifeguard.isBuddySystemEnabled)
        #expect(plain.suspicionMaxTimeoutMultiplier == 1)
        #expect(plain.probeInterval == Membership.Settings.lan.probeInterval)
    }
}
