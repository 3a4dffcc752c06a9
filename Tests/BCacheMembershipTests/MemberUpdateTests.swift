import BCacheBase
import BCacheMembership
import BCacheTransport
import Testing

/// How alive messages, joins, leaves and reaping change one instance's member list.
@Suite struct MemberUpdateTests {
    private let somewhere = NodeAddress(host: "somewhere.sim", port: 1)

    @Test func newerIncarnationWithNewMetadataIsAnUpdate() {
        let peer = BareInstance.identity("peer", id: 100)
        var instance = BareInstance.make(peers: [peer])
        var changed = peer
        changed.metadata = [42]
        let directives = instance.onMessage(
            .alive(identity: changed, incarnation: 1), from: somewhere, now: .seconds(1))
        #expect(directives.events == [.updated(Membership.Member(identity: changed, status: .alive(incarnation: 1)))])
        // The same incarnation again is old news.
        #expect(
            instance.onMessage(.alive(identity: changed, incarnation: 1), from: somewhere, now: .seconds(2)).isEmpty)
    }

    @Test func newerProcessOfTheSameNameReplacesTheOlderOneAndNotTheReverse() {
        let old = BareInstance.identity("peer", id: 100, generation: 5)
        var instance = BareInstance.make(peers: [old])
        let stale = BareInstance.identity("peer", id: 50, generation: 4)
        #expect(instance.onMessage(.alive(identity: stale, incarnation: 9), from: somewhere, now: .seconds(1)).isEmpty)
        #expect(instance.member(named: "peer")?.identity == old)
        let restarted = BareInstance.identity("peer", id: 200, generation: 6)
        let directives = instance.onMessage(
            .alive(identity: restarted, incarnation: 0), from: somewhere, now: .seconds(2))
        #expect(
            directives.events == [
                .replaced(
                    old: Membership.Member(identity: old, status: .alive(incarnation: 0)),
                    new: Membership.Member(identity: restarted, status: .alive(incarnation: 0)))
            ])
        #expect(instance.member(id: old.id) == nil)
        #expect(instance.member(named: "peer")?.identity == restarted)
    }

    @Test func anotherProcessClaimingThisNodesNameIsCountedNotAdded() {
        var instance = BareInstance.make()
        let impostor = BareInstance.identity("self", id: 999, generation: 99)
        #expect(instance.onMessage(.alive(identity: impostor, incarnation: 0), from: somewhere, now: .zero).isEmpty)
        #expect(instance.statistics.nameConflicts == 1)
        #expect(instance.member(id: impostor.id) == nil)
    }

    @Test func firstNodeJoinsWithoutSendingAnything() {
        var instance = Membership.Instance(identity: BareInstance.identity("self", id: 1), randomSeed: 1)
        _ = instance.start(now: .zero)
        #expect(instance.join(seeds: [instance.identity.address], now: .zero).isEmpty)
        #expect(instance.isJoined)
    }

    @Test func joinRetriesWithExponentialBackoffThenReportsFailure() {
        var instance = Membership.Instance(identity: BareInstance.identity("self", id: 1), randomSeed: 1)
        _ = instance.start(now: .zero)
        let seed = NodeAddress(host: "seed.sim", port: 7946)
        var directives = instance.join(seeds: [seed], now: .zero)
        var waits: [Duration] = []
        for attempt in 1...5 {
            #expect(directives.contains(.startPushPull(with: seed, isJoin: true)))
            guard let retry = directives.timers.first(where: { $0.id == .joinRetry(attempt: attempt) }) else {
                Issue.record("attempt \(attempt) schedules no retry")
                return
            }
            waits.append(retry.after)
            directives = instance.onJoinRetry(attempt: attempt, now: .zero)
        }
        #expect(waits == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16)])
        #expect(directives.events == [.joinFailed(seeds: [seed])])
        #expect(!instance.isJoined)
        // Alone, it keeps trying its seed on every reconnect tick.
        #expect(instance.onReconnectTick(now: .seconds(60)).contains(.startPushPull(with: seed, isJoin: false)))
    }

    @Test func leaveWithNobodyToTellCompletesAtOnce() {
        var instance = BareInstance.make()
        #expect(instance.leave(now: .seconds(1)) == [.leaveCompleted])
        #expect(instance.hasStopped)
        #expect(instance.onPeriodicProbeTick(now: .seconds(2)).isEmpty)
    }

    @Test func leaveTimeoutBoundsTheWait() {
        var instance = BareInstance.make(peers: BareInstance.peers(3))
        let directives = instance.leave(now: .seconds(1))
        #expect(directives.timers.map(\.id) == [.leaveTimeout])
        #expect(instance.onLeaveTimeout(now: .seconds(6)) == [.leaveCompleted])
        #expect(instance.hasStopped)
    }

    @Test func deadMembersAreForgottenAfterTheReapTimeout() throws {
        var settings = Membership.Settings.lan
        settings.deadMemberReapTimeout = .seconds(60)
        let peers = BareInstance.peers(2)
        var instance = BareInstance.make(peers: peers, settings: settings)
        _ = instance.onMessage(
            .dead(target: peers[0].id, incarnation: 0, from: peers[1].id), from: somewhere, now: .seconds(10))
        #expect(instance.member(id: peers[0].id)?.status.isDead == true)
        // Still remembered (and a reconnection target) before the timeout.
        let early = instance.onReconnectTick(now: .seconds(30))
        #expect(early.contains(.startPushPull(with: peers[0].address, isJoin: false)))
        _ = instance.onReconnectTick(now: .seconds(71))
        #expect(instance.member(id: peers[0].id) == nil)
        #expect(instance.member(named: peers[0].name) == nil)
        #expect(instance.members.count == 2)
    }

    @Test func remoteDeathOnlyMakesALiveMemberSuspect() {
        let peers = BareInstance.peers(2)
        var instance = BareInstance.make(peers: peers)
        let remote = Membership.PushPullState(
            members: [
                Membership.Member(identity: peers[0], status: .dead(incarnation: 0)),
                Membership.Member(identity: peers[1], status: .left(incarnation: 0)),
            ], isJoin: false)
        let directives = instance.onPushPullResponse(remote, from: peers[1].address, now: .seconds(1))
        #expect(instance.member(id: peers[0].id)?.status.isSuspect == true)
        #expect(instance.member(id: peers[1].id)?.status.hasLeft == true)
        #expect(directives.events.contains { if case .suspected = $0 { true } else { false } })
        #expect(directives.events.contains { if case .left = $0 { true } else { false } })
        #expect(!directives.events.contains { if case .failed = $0 { true } else { false } })
    }
}
