import BCacheBase
import BCacheMembership
import BCacheMembershipSimulation
import Testing

/// A crashed node is declared failed by every other member, at LAN settings.
@Suite struct FailureDetectionTests {
    @Test(arguments: [(16, 5), (64, 3)])
    func crashedNodeIsDeclaredFailedByEveryMember(count: Int, trials: Int) throws {
        let cluster = SimulatedCluster.joined(count: count, seed: 1000 + UInt64(count))
        #expect(cluster.run(untilTrue: cluster.hasConverged, timeout: .seconds(60)) != nil)
        cluster.run(for: .seconds(10))
        var firstDetections: [Duration] = []
        var allDetections: [Duration] = []
        var everyone: [Duration] = []
        for trial in 0..<trials {
            let victim = 1 + trial * (count - 1) / trials
            let id = cluster.nodes[victim].instance.identity.id
            let crashedAt = cluster.now
            let detected = cluster.crashAndRunUntilDeclaredDead(victim, timeout: .seconds(120))
            let observers = cluster.runningNodes
            let time = try #require(detected, "every member should declare the crashed node failed")
            let failures = cluster.failures(of: id).filter { $0.time >= crashedAt }
            let delays = failures.map { $0.time - crashedAt }
            everyone.append(contentsOf: delays)
            firstDetections.append(delays.min() ?? time)
            allDetections.append(time)
            #expect(Set(failures.map(\.observer)) == Set(observers))
            cluster.run(for: .seconds(5))
        }
        #expect(cluster.falsePositives().isEmpty)
        print("detection (\(count) nodes, LAN): first member \(DurationStatistics(firstDetections)!)")
        print("detection (\(count) nodes, LAN): every member \(DurationStatistics(allDetections)!)")
        print("detection (\(count) nodes, LAN): per observer \(DurationStatistics(everyone)!)")
    }
}
