import BCacheBase
import BCacheMembership
import BCacheTransport
import Testing

/// The probe cycle of a bare instance: direct ping, ping requests, nacks, and what they do to
/// local health.
@Suite struct ProbeTests {
    private func probeTarget(_ directives: [Membership.Directive]) throws -> (sequence: UInt32, target: NodeID) {
        for message in directives.sentMessages {
            if case .ping(let sequence, let target) = message { return (sequence, target) }
        }
        throw ProbeTestFailure.noPing
    }

    private enum ProbeTestFailure: Error { case noPing }

    /// An instance of 7 members whose probe at 1 s got no ack and no nack: health 3.
    private func probeFailedWithoutNacks() throws -> (instance: Membership.Instance, sequence: UInt32, target: NodeID) {
        var instance = BareInstance.make(peers: BareInstance.peers(6))
        let (sequence, target) = try probeTarget(instance.onPeriodicProbeTick(now: .seconds(1)))
        _ = instance.onProbeTimeout(sequence: sequence, now: .milliseconds(1500))
        _ = instance.onIndirectProbeTimeout(sequence: sequence, now: .seconds(2))
        return (instance, sequence, target)
    }

    @Test func probeTickPingsOneMemberAndSchedulesTheTimeouts() throws {
        let peers = BareInstance.peers(3)
        var instance = BareInstance.make(peers: peers)
        let directives = instance.onPeriodicProbeTick(now: .seconds(1))
        let (sequence, target) = try probeTarget(directives)
        let destination = try #require(directives.sends.first?.to)
        #expect(peers.contains { $0.id == target && $0.address == destination })
        let timers = directives.timers
        #expect(timers.contains { $0.id == .probeTimeout(sequence: sequence) && $0.after == .milliseconds(500) })
        #expect(timers.contains { $0.id == .indirectProbeTimeout(sequence: sequence) && $0.after == .seconds(1) })
        #expect(timers.contains { $0.id == .probeTick && $0.after == .seconds(1) })
    }

    @Test func roundRobinProbesEveryMemberOncePerRound() throws {
        let peers = BareInstance.peers(5)
        var instance = BareInstance.make(peers: peers)
        var now = Duration.zero
        for _ in 0..<3 {
            var round: [NodeID] = []
            for _ in 0..<peers.count {
                now += .seconds(1)
                let (sequence, target) = try probeTarget(instance.onPeriodicProbeTick(now: now))
                _ = instance.onMessage(.ack(sequence: sequence), from: NodeAddress(host: "a.sim", port: 1), now: now)
                round.append(target)
            }
            #expect(Set(round) == Set(peers.map(\.id)))
        }
        #expect(instance.statistics.probes == 15)
        #expect(instance.statistics.failedProbes == 0)
    }

    @Test func missedAckSendsPingRequestsToIndirectChecksOtherMembers() throws {
        let peers = BareInstance.peers(6)
        var instance = BareInstance.make(peers: peers)
        let (sequence, target) = try probeTarget(instance.onPeriodicProbeTick(now: .seconds(1)))
        let directives = instance.onProbeTimeout(sequence: sequence, now: .seconds(1) + .milliseconds(500))
        let requests = directives.sends.filter {
            if case .pingRequest(sequence, target, _) = $0.packet.messages.first { return true }
            return false
        }
        #expect(requests.count == 3)
        let relays = Set(requests.map(\.to))
        #expect(relays.count == 3)
        #expect(!relays.contains(peers.first { $0.id == target }!.address))
    }

    @Test func missedAckAlsoPingsTheTargetDirectlyOnceMore() throws {
        let peers = BareInstance.peers(6)
        var instance = BareInstance.make(peers: peers)
        let (sequence, target) = try probeTarget(instance.onPeriodicProbeTick(now: .seconds(1)))
        let address = try #require(peers.first { $0.id == target }?.address)
        let directives = instance.onProbeTimeout(sequence: sequence, now: .milliseconds(1500))
        let retries = directives.sends.filter { $0.to == address }
        #expect(retries.count == 1)
        #expect(retries.first?.packet.messages.first == .ping(sequence: sequence, target: target))
        #expect(instance.statistics.directRetries == 1)
        // The retry's ack closes the probe: no suspicion, and no blame on this node's health
        // either way (only a first-try ack lowers the score).
        _ = instance.onMessage(.ack(sequence: sequence), from: address, now: .milliseconds(1510))
        let end = instance.onIndirectProbeTimeout(sequence: sequence, now: .seconds(2))
        #expect(end.events.isEmpty)
        #expect(instance.member(id: target)?.status.isSuspect == false)
        #expect(instance.statistics.failedProbes == 0)
    }

    @Test func withoutTheDirectRetryOnlyRelaysAreAsked() throws {
        let peers = BareInstance.peers(6)
        var settings = Membership.Settings.lan
        settings.retriesDirectPing = false
        var instance = BareInstance.make(peers: peers, settings: settings)
        let (sequence, target) = try probeTarget(instance.onPeriodicProbeTick(now: .seconds(1)))
        let address = try #require(peers.first { $0.id == target }?.address)
        let directives = instance.onProbeTimeout(sequence: sequence, now: .milliseconds(1500))
        #expect(directives.sends.count == 3)
        #expect(!directives.sends.contains { $0.to == address })
        #expect(instance.statistics.directRetries == 0)
    }

    @Test func probeWithoutAckOrNacksSuspectsTheTargetAndRaisesLocalHealth() throws {
        var instance = BareInstance.make(peers: BareInstance.peers(6))
        let (sequence, target) = try probeTarget(instance.onPeriodicProbeTick(now: .seconds(1)))
        _ = instance.onProbeTimeout(sequence: sequence, now: .milliseconds(1500))
        let directives = instance.onIndirectProbeTimeout(sequence: sequence, now: .seconds(2))
        #expect(
            directives.events.contains {
                if case .suspected(let member) = $0 { member.identity.id == target } else { false }
            })
        #expect(instance.member(id: target)?.status.isSuspect == true)
        // Three relays asked, none answered with a nack: this node may be the problem.
        #expect(instance.localHealthScore == 3)
        #expect(instance.statistics.failedProbes == 1)
    }

    @Test func nacksFromRelaysSpareLocalHealth() throws {
        var instance = BareInstance.make(peers: BareInstance.peers(6))
        let (sequence, target) = try probeTarget(instance.onPeriodicProbeTick(now: .seconds(1)))
        _ = instance.onProbeTimeout(sequence: sequence, now: .milliseconds(1500))
        for relay in 0..<3 {
            _ = instance.onMessage(
                .nack(sequence: sequence), from: NodeAddress(host: "r\(relay).sim", port: 1), now: .milliseconds(1600))
        }
        _ = instance.onIndirectProbeTimeout(sequence: sequence, now: .seconds(2))
        #expect(instance.member(id: target)?.status.isSuspect == true)
        #expect(instance.localHealthScore == 0)
        #expect(instance.statistics.nacksReceived == 3)
    }

    @Test func nacksArrivingJustAfterTheProbeClosedTakeBackThePenalty() throws {
        var (instance, sequence, _) = try probeFailedWithoutNacks()
        #expect(instance.localHealthScore == 3)
        // The relays' nacks, sent one probe timeout after the requests, come 2 ms late.
        let relay = NodeAddress(host: "r.sim", port: 1)
        _ = instance.onMessage(.nack(sequence: sequence), from: relay, now: .milliseconds(2002))
        #expect(instance.localHealthScore == 2)
        // A nack of another probe changes nothing.
        _ = instance.onMessage(.nack(sequence: sequence &+ 100), from: relay, now: .milliseconds(2002))
        #expect(instance.localHealthScore == 2)
        for _ in 0..<3 {
            _ = instance.onMessage(.nack(sequence: sequence), from: relay, now: .milliseconds(2003))
        }
        // Three relays, three penalties taken back, and no more.
        #expect(instance.localHealthScore == 0)
        #expect(instance.statistics.lateNacks == 3)
    }

    @Test func unhealthyNodeStretchesItsProbeIntervalAndTimeoutThenRecovers() throws {
        var (instance, _, _) = try probeFailedWithoutNacks()
        #expect(instance.localHealthScore == 3)
        let stretched = instance.onPeriodicProbeTick(now: .seconds(2))
        #expect(stretched.timers.contains { $0.id == .probeTick && $0.after == .seconds(4) })
        let (next, _) = try probeTarget(stretched)
        #expect(stretched.timers.contains { $0.id == .probeTimeout(sequence: next) && $0.after == .seconds(2) })
        // A successful probe lowers the score again.
        _ = instance.onMessage(
            .ack(sequence: next), from: NodeAddress(host: "a.sim", port: 1), now: .milliseconds(2100))
        #expect(instance.localHealthScore == 2)
    }

    @Test func relaysAPingRequestAndForwardsTheAck() throws {
        let peers = BareInstance.peers(3)
        var instance = BareInstance.make(peers: peers)
        let origin = peers[0].address
        let directives = instance.onMessage(
            .pingRequest(sequence: 77, target: peers[1].id, address: peers[1].address), from: origin, now: .seconds(1))
        #expect(directives.sends.first?.to == peers[1].address)
        let (relaySequence, target) = try probeTarget(directives)
        #expect(target == peers[1].id)
        let forwarded = instance.onMessage(
            .ack(sequence: relaySequence), from: peers[1].address, now: .milliseconds(1010))
        #expect(forwarded.sends.first?.to == origin)
        #expect(forwarded.sends.first?.packet.messages.first == .ack(sequence: 77))
    }

    @Test func relaySendsANackWhenTheTargetStaysSilent() throws {
        let peers = BareInstance.peers(3)
        var instance = BareInstance.make(peers: peers)
        let directives = instance.onMessage(
            .pingRequest(sequence: 5, target: peers[1].id, address: peers[1].address), from: peers[0].address,
            now: .seconds(1))
        let (relaySequence, _) = try probeTarget(directives)
        #expect(
            directives.timers.contains {
                $0.id == .relayTimeout(sequence: relaySequence) && $0.after == .milliseconds(500)
            })
        let nack = instance.onRelayTimeout(sequence: relaySequence, now: .milliseconds(1500))
        #expect(nack.sends.first?.to == peers[0].address)
        #expect(nack.sends.first?.packet.messages.first == .nack(sequence: 5))
        // Once answered, a late ack is not forwarded.
        #expect(
            instance.onMessage(.ack(sequence: relaySequence), from: peers[1].address, now: .seconds(2)).sends.isEmpty)
    }

    @Test func answersPingsForItselfButNotForAnEarlierProcess() {
        var instance = BareInstance.make()
        let sender = NodeAddress(host: "p.sim", port: 1)
        let answer = instance.onMessage(
            .ping(sequence: 9, target: instance.identity.id), from: sender, now: .seconds(1))
        #expect(answer.sends.first?.to == sender)
        #expect(answer.sends.first?.packet.messages.first == .ack(sequence: 9))
        let stale = instance.onMessage(
            .ping(sequence: 10, target: NodeID(rawValue: 999)), from: sender, now: .seconds(1))
        #expect(stale.sends.isEmpty)
    }
}
