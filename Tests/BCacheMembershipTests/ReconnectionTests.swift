import BCacheBase
import BCacheMembership
import Testing

/// Reconnection to dead members is bounded: a crashed node's address is contacted again only for
/// `reconnectTimeout` after its death, not for as long as it is remembered.
@Suite struct ReconnectionTests {
    @Test func aDeadMemberIsContactedOnlyWithinTheReconnectTimeout() {
        let settings = Membership.Settings.lan
        let peers = BareInstance.peers(2)
        var instance = BareInstance.make(peers: peers, settings: settings)
        let death = Duration.seconds(10)
        _ = instance.onMessage(
            .dead(target: peers[0].id, incarnation: 0, from: peers[1].id), from: peers[1].address, now: death)
        let attempt = Membership.Directive.startPushPull(with: peers[0].address, isJoin: false)
        var within = 0
        var after = 0
        var time = death
        // Every reconnect interval until just before the member is forgotten. With two members
        // alive (this node and one peer), each tick tries a dead member with certainty.
        while time + settings.reconnectInterval < death + settings.deadMemberReapTimeout {
            time += settings.reconnectInterval
            let attempts = instance.onReconnectTick(now: time).filter { $0 == attempt }.count
            if time - death < settings.reconnectTimeout { within += attempts } else { after += attempts }
        }
        let ticksWithin = Int(settings.reconnectTimeout / settings.reconnectInterval)
        // A partition that heals within the timeout still finds the other side.
        #expect(within > 0)
        #expect(within <= ticksWithin)
        #expect(after == 0)
        // Still remembered: stale gossip about it is recognised until the reap.
        #expect(instance.member(id: peers[0].id)?.status.isDead == true)
    }

    @Test func aZeroTimeoutNeverReconnects() {
        var settings = Membership.Settings.lan
        settings.reconnectTimeout = .zero
        let peers = BareInstance.peers(2)
        var instance = BareInstance.make(peers: peers, settings: settings)
        _ = instance.onMessage(
            .dead(target: peers[0].id, incarnation: 0, from: peers[1].id), from: peers[1].address, now: .seconds(1))
        let directives = instance.onReconnectTick(now: .seconds(31))
        #expect(!directives.contains(.startPushPull(with: peers[0].address, isJoin: false)))
        #expect(directives.timers.map(\.id) == [.reconnectTick])
    }
}
