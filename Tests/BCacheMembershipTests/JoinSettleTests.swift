import BCacheBase
import BCacheMembership
import BCacheTransport
import Testing

/// The exchanges that follow a join (`joinSettleDelay`): the first always, later ones only while
/// members keep arriving; and the joiner's own alive leads its gossip.
@Suite struct JoinSettleTests {
    private let seed = NodeAddress(host: "seed.sim", port: 7946)

    private func pushPulls(_ directives: [Membership.Directive]) -> [NodeAddress] {
        directives.compactMap { directive in
            if case .startPushPull(let address, _) = directive { return address }
            return nil
        }
    }

    private func state(_ peers: [Membership.NodeIdentity]) -> Membership.PushPullState {
        let members = peers.map { Membership.Member(identity: $0, status: .alive(incarnation: 0)) }
        return Membership.PushPullState(members: members, isJoin: false)
    }

    /// A node that joined through `seed` at 2 ms, told of `peers`.
    private func joined(peers: [Membership.NodeIdentity]) -> Membership.Instance {
        var instance = Membership.Instance(
            identity: BareInstance.identity("self", id: 1), settings: .lan, clusterLabel: "test", randomSeed: 7)
        _ = instance.start(now: .zero)
        _ = instance.join(seeds: [seed], now: .zero)
        _ = instance.onPushPullResponse(state(peers), from: seed, now: .milliseconds(2))
        return instance
    }

    @Test func theFirstExchangeComesEvenWhenNobodyNewArrived() {
        let peers = BareInstance.peers(5)
        var instance = joined(peers: peers)
        // A late joiner of a wave: nobody new within the delay, yet the few who joined after it
        // are what gossip takes longest to bring. The exchange happens.
        let first = instance.onTimer(.joinSettle(round: 1), now: .seconds(1))
        #expect(pushPulls(first) == [seed])
        // Its answer names nobody new: no further round.
        _ = instance.onPushPullResponse(state(peers), from: seed, now: .seconds(1) + .milliseconds(2))
        let second = instance.onTimer(.joinSettle(round: 2), now: .seconds(3))
        #expect(pushPulls(second).isEmpty)
    }

    @Test func membersArrivingAfterTheExchangeBringAnotherRound() {
        let peers = BareInstance.peers(6)
        var instance = joined(peers: Array(peers[0..<4]))
        _ = instance.onTimer(.joinSettle(round: 1), now: .seconds(1))
        _ = instance.onPushPullResponse(state(Array(peers[0..<5])), from: seed, now: .seconds(1) + .milliseconds(2))
        // The wave is still arriving: one more member after the exchange's answer.
        let late = Membership.Message.alive(identity: peers[5], incarnation: 0)
        _ = instance.onMessage(late, from: peers[0].address, now: .seconds(2))
        let second = instance.onTimer(.joinSettle(round: 2), now: .seconds(3))
        #expect(pushPulls(second) == [seed])
    }

    @Test func theJoinersOwnAliveLeadsItsFirstGossip() throws {
        var instance = joined(peers: BareInstance.peers(40))
        let gossip = instance.onGossipTick(now: .milliseconds(200))
        let first = try #require(gossip.sends.first?.packet.messages.first)
        guard case .alive(let identity, _) = first else {
            Issue.record("the first gossiped update is \(first), not an alive")
            return
        }
        #expect(identity.id == instance.identity.id)
    }
}
