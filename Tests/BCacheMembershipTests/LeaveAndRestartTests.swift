import BCacheBase
import BCacheMembership
import BCacheMembershipSimulation
import Testing

/// A graceful leave is seen as left, not failed; a restarted node replaces its old self.
@Suite struct LeaveAndRestartTests {
    @Test func gracefulLeaveIsSeenAsLeftNotFailed() throws {
        let cluster = SimulatedCluster.joined(count: 8, seed: 8)
        #expect(cluster.run(untilTrue: cluster.hasConverged, timeout: .seconds(30)) != nil)
        let leaver = 3
        let id = cluster.nodes[leaver].instance.identity.id
        let leftAt = cluster.now
        cluster.leave(leaver)
        let others = cluster.nodes.indices.filter { $0 != leaver }
        let time = try #require(
            cluster.run(
                untilTrue: { others.allSatisfy { cluster.nodes[$0].instance.member(id: id)?.status.hasLeft == true } },
                timeout: .seconds(10), checkingEvery: .milliseconds(10)))
        // The leaver stops once its announcement was sent its full number of times, before the leave timeout.
        let stopped = cluster.run(untilTrue: { cluster.nodes[leaver].leaveCompleted }, timeout: .seconds(10))
        let stoppedAfter = try #require(stopped)
        #expect(stoppedAfter < Membership.Settings.lan.leaveTimeout)
        let hasStopped = cluster.nodes[leaver].instance.hasStopped
        #expect(hasStopped)
        cluster.run(for: .seconds(60))
        #expect(cluster.failures(of: id).isEmpty)
        let leftEvents = cluster.events.filter {
            if case .left(let member) = $0.event { member.identity.id == id } else { false }
        }
        #expect(Set(leftEvents.map(\.observer)) == Set(others))
        #expect(others.allSatisfy { cluster.nodes[$0].instance.member(id: id)?.status.hasLeft == true })
        print(
            "leave: seen as left by \(others.count) members in \(time); the leaver stopped \(stoppedAfter) later (left at \(leftAt))"
        )
    }

    @Test(arguments: [false, true])
    func restartedNodeWithANewIdentityAndAddressReplacesTheOldOne(afterDetection: Bool) throws {
        let cluster = SimulatedCluster.joined(count: 8, seed: 80)
        #expect(cluster.run(untilTrue: cluster.hasConverged, timeout: .seconds(30)) != nil)
        let old = cluster.nodes[2].instance.identity
        if afterDetection {
            cluster.crash(2)
            #expect(
                cluster.run(
                    untilTrue: {
                        cluster.runningNodes.allSatisfy {
                            cluster.nodes[$0].instance.member(id: old.id)?.status.isDead == true
                        }
                    },
                    timeout: .seconds(60)) != nil)
        }
        // Same name, new id, newer generation, new address; restarted before anyone noticed the crash
        // when `afterDetection` is false.
        let new = cluster.restart(2, seeds: [0])
        let identity = cluster.nodes[new].instance.identity
        #expect(identity.name == old.name && identity.id != old.id && identity.address != old.address)
        let time = try #require(cluster.run(untilTrue: cluster.hasConverged, timeout: .seconds(30)))
        for index in cluster.runningNodes {
            let seen = try #require(cluster.nodes[index].instance.member(named: old.name))
            #expect(seen.identity == identity)
            #expect(cluster.nodes[index].instance.member(id: old.id) == nil)
        }
        let replacements = cluster.events.filter {
            if case .replaced(let before, let after) = $0.event {
                before.identity.id == old.id && after.identity.id == identity.id
            } else {
                false
            }
        }
        #expect(Set(replacements.map(\.observer)) == Set(cluster.runningNodes.filter { $0 != new }))
        cluster.run(for: .seconds(60))
        #expect(cluster.hasConverged())
        print("restart (\(afterDetection ? "after" : "before") the crash was detected): replaced everywhere in \(time)")
    }
}
