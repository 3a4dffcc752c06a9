import BCacheBase
import BCacheMembership
import BCacheTransport
import Testing

/// Suspicion with Lifeguard's refinements: refutation, timeouts shrinking with independent
/// confirmations, the buddy system.
@Suite struct SuspicionTests {
    private let somewhere = NodeAddress(host: "somewhere.sim", port: 1)

    @Test func suspicionAboutItselfIsRefutedWithAHigherIncarnation() throws {
        let peers = BareInstance.peers(3)
        var instance = BareInstance.make(peers: peers)
        let me = instance.identity
        _ = instance.onMessage(
            .suspect(target: me.id, incarnation: 4, from: peers[0].id), from: somewhere, now: .seconds(1))
        #expect(instance.incarnation == 5)
        #expect(instance.statistics.refutations == 1)
        #expect(instance.localHealthScore == 1)
        // The refutation rides on the next packet this node sends, here the ack to a ping.
        let reply = instance.onMessage(.ping(sequence: 1, target: me.id), from: peers[0].address, now: .seconds(1))
        #expect(reply.sentMessages.contains(.alive(identity: me, incarnation: 5)))
    }

    @Test func aRefutationIsReportedOnceForTheReplicationLayer() {
        let peers = BareInstance.peers(3)
        var instance = BareInstance.make(peers: peers)
        let me = instance.identity
        let first = instance.onMessage(
            .suspect(target: me.id, incarnation: 0, from: peers[0].id), from: somewhere, now: .seconds(1))
        #expect(first.events.filter { $0 == .refuted }.count == 1)
        // The same suspicion again (gossip repeats it): already refuted, nothing new to report.
        let repeated = instance.onMessage(
            .suspect(target: me.id, incarnation: 0, from: peers[1].id), from: somewhere, now: .seconds(2))
        #expect(!repeated.events.contains(.refuted))
        // A death claim of the current incarnation is a new refutation.
        let dead = instance.onMessage(
            .dead(target: me.id, incarnation: instance.incarnation, from: peers[2].id), from: somewhere,
            now: .seconds(3))
        #expect(dead.events.filter { $0 == .refuted }.count == 1)
        #expect(instance.statistics.refutations == 2)
    }

    @Test func topIncarnationFromAHostileMessageDoesNotTrap() {
        let peers = BareInstance.peers(1)
        var instance = BareInstance.make(peers: peers)
        _ = instance.onMessage(
            .suspect(target: instance.identity.id, incarnation: .max - 1, from: peers[0].id), from: somewhere,
            now: .seconds(1))
        #expect(instance.incarnation == .max)
        _ = instance.onMessage(
            .dead(target: instance.identity.id, incarnation: .max, from: peers[0].id), from: somewhere, now: .seconds(1)
        )
        instance.updateMetadata([1])
        #expect(instance.incarnation == .max)
    }

    @Test func deathAboutItselfIsRefutedToo() {
        let peers = BareInstance.peers(3)
        var instance = BareInstance.make(peers: peers)
        _ = instance.onMessage(
            .dead(target: instance.identity.id, incarnation: 0, from: peers[0].id), from: somewhere, now: .seconds(1))
        #expect(instance.incarnation == 1)
        #expect(instance.member(id: instance.identity.id)?.status == .alive(incarnation: 1))
    }

    @Test func timeoutStartsAtTheMaximumAndShrinksWithConfirmations() throws {
        let peers = BareInstance.peers(10)
        var instance = BareInstance.make(peers: peers)
        let target = peers[0].id
        // 11 members: minimum = 4 * log10(11) * 1 s, maximum = 6 * minimum, 2 confirmations expected.
        let minimum = Duration.seconds(4 * 1.041_392_685_158_225)
        let maximum = minimum * 6
        // Each timer is set for the last-chance ping, one probe timeout before the deadline.
        let lead = Membership.Settings.lan.probeTimeout
        let first = instance.onMessage(
            .suspect(target: target, incarnation: 0, from: peers[1].id), from: somewhere, now: .zero)
        let initial = try #require(first.suspicionTimer(for: target)) + lead
        #expect(BareInstance.isClose(initial, maximum))
        // One confirmation: maximum - (maximum - minimum) * log(2) / log(3).
        let second = instance.onMessage(
            .suspect(target: target, incarnation: 0, from: peers[2].id), from: somewhere, now: .zero)
        let shrunk = try #require(second.suspicionTimer(for: target)) + lead
        let expected = maximum - (maximum - minimum) * (0.693_147_180_559_945 / 1.098_612_288_668_11)
        #expect(BareInstance.isClose(shrunk, expected))
        // The same accuser again is no new confirmation.
        let repeated = instance.onMessage(
            .suspect(target: target, incarnation: 0, from: peers[2].id), from: somewhere, now: .zero)
        #expect(repeated.suspicionTimer(for: target) == nil)
        // Two confirmations: the minimum.
        let third = instance.onMessage(
            .suspect(target: target, incarnation: 0, from: peers[3].id), from: somewhere, now: .zero)
        let final = try #require(third.suspicionTimer(for: target)) + lead
        #expect(BareInstance.isClose(final, minimum))
        if case .suspect(_, let suspectedBy) = instance.member(id: target)?.status {
            #expect(suspectedBy == [peers[1].id, peers[2].id, peers[3].id])
        } else {
            Issue.record("the target should be suspect")
        }
    }

    @Test func unrefutedSuspectIsDeclaredDeadAtTheDeadlineAfterALastCheck() throws {
        let peers = BareInstance.peers(3)
        var instance = BareInstance.make(peers: peers)
        let target = peers[0].id
        let lead = Membership.Settings.lan.probeTimeout
        let directives = instance.onMessage(
            .suspect(target: target, incarnation: 0, from: peers[1].id), from: somewhere, now: .seconds(1))
        let delay = try #require(directives.suspicionTimer(for: target))
        // Too early (a stale timer): nothing is sent, the timer is set again for the due time.
        let early = instance.onSuspicionTimeout(member: target, now: .seconds(1) + delay / 2)
        #expect(early.sends.isEmpty)
        #expect(early.events.isEmpty)
        #expect(early.timers.first { $0.id == .suspicionTimeout(target) }?.after == delay / 2)
        // One probe timeout before the deadline: a last-chance ping carrying the suspicion goes to
        // the suspect.
        let check = instance.onSuspicionTimeout(member: target, now: .seconds(1) + delay)
        #expect(check.events.isEmpty)
        #expect(check.sends.first?.to == peers[0].address)
        #expect(check.sentMessages.contains { if case .ping(_, target) = $0 { true } else { false } })
        // The suspicion carries its age: it started at 1 s, `delay` ago.
        let lastChance = Membership.Message.suspect(
            target: target, incarnation: 0, from: instance.identity.id, age: delay)
        #expect(check.sentMessages.contains(lastChance))
        // Half a probe timeout later, a second one (a lost datagram alone does not decide).
        let resend = try #require(check.suspicionTimer(for: target))
        #expect(resend == lead / 2)
        let secondCheck = instance.onSuspicionTimeout(member: target, now: .seconds(1) + delay + resend)
        #expect(secondCheck.events.isEmpty)
        #expect(secondCheck.sends.first?.to == peers[0].address)
        #expect(secondCheck.sentMessages.contains { if case .ping(_, target) = $0 { true } else { false } })
        let recheck = try #require(secondCheck.suspicionTimer(for: target))
        #expect(recheck == lead / 2)
        // No refutation by the deadline, one probe timeout after the first ping: dead.
        let expired = instance.onSuspicionTimeout(member: target, now: .seconds(1) + delay + resend + recheck)
        #expect(
            expired.events.contains { if case .failed(let member) = $0 { member.identity.id == target } else { false } }
        )
        #expect(instance.member(id: target)?.status == .dead(incarnation: 0))
    }

    @Test func aStaleSuspicionIsAnsweredWithTheCurrentAlive() {
        let peers = BareInstance.peers(3)
        var instance = BareInstance.make(peers: peers)
        let me = instance.identity
        _ = instance.onMessage(
            .suspect(target: me.id, incarnation: 0, from: peers[0].id), from: somewhere, now: .seconds(1))
        #expect(instance.incarnation == 1)
        // Drain the refutation, as gossip would.
        for _ in 0..<20 { _ = instance.onGossipTick(now: .seconds(2)) }
        #expect(instance.pendingUpdates == 0)
        // A member that missed it suspects incarnation 0 again (its last-chance ping): the reply
        // carries alive at incarnation 1, with no new incarnation.
        let reply = instance.onPacket(
            Membership.Packet([
                .suspect(target: me.id, incarnation: 0, from: peers[1].id), .ping(sequence: 3, target: me.id),
            ]),
            from: peers[1].address, now: .seconds(3))
        #expect(instance.incarnation == 1)
        #expect(reply.sentMessages.contains(.alive(identity: me, incarnation: 1)))
        #expect(reply.sentMessages.contains(.ack(sequence: 3)))
    }

    @Test func refutationBeforeTheDeadlineKeepsTheMemberAlive() throws {
        let peers = BareInstance.peers(3)
        var instance = BareInstance.make(peers: peers)
        let target = peers[0]
        let directives = instance.onMessage(
            .suspect(target: target.id, incarnation: 0, from: peers[1].id), from: somewhere, now: .seconds(1))
        let delay = try #require(directives.suspicionTimer(for: target.id))
        let refuted = instance.onMessage(.alive(identity: target, incarnation: 1), from: somewhere, now: .seconds(2))
        #expect(
            refuted.events.contains {
                if case .aliveAgain(let member) = $0 { member.identity.id == target.id } else { false }
            })
        #expect(instance.onSuspicionTimeout(member: target.id, now: .seconds(1) + delay).isEmpty)
        #expect(instance.member(id: target.id)?.status == .alive(incarnation: 1))
        // Stale news (the old incarnation) changes nothing.
        _ = instance.onMessage(
            .suspect(target: target.id, incarnation: 0, from: peers[1].id), from: somewhere, now: .seconds(3))
        _ = instance.onMessage(
            .dead(target: target.id, incarnation: 0, from: peers[1].id), from: somewhere, now: .seconds(3))
        #expect(instance.member(id: target.id)?.status == .alive(incarnation: 1))
    }

    @Test(arguments: [true, false])
    func probeOfASuspectCarriesTheSuspicionWithTheBuddySystem(enabled: Bool) throws {
        let peers = BareInstance.peers(1)
        var settings = Membership.Settings.lan
        settings.lifeguard.isBuddySystemEnabled = enabled
        var instance = BareInstance.make(peers: peers, settings: settings)
        let target = peers[0].id
        _ = instance.onMessage(
            .suspect(target: target, incarnation: 0, from: NodeID(rawValue: 55)), from: somewhere, now: .zero)
        let probe = instance.onPeriodicProbeTick(now: .seconds(1))
        let toTarget = probe.sends.filter { $0.to == peers[0].address }.flatMap(\.packet.messages)
        #expect(toTarget.contains { if case .ping = $0 { true } else { false } })
        // Suspected at 0 s, probed at 1 s: the suspicion is one second old.
        #expect(
            toTarget.contains(.suspect(target: target, incarnation: 0, from: instance.identity.id, age: .seconds(1)))
                == enabled)
    }
}
