import BCacheMembership
import BCacheTransport
import BCacheTransportTCP
import BCacheTransportUDPTCP
import Logging
import Testing

/// The driver over real sockets: UDP for packets, TCP for push-pulls, on 127.0.0.1 with port 0.
@Suite struct UDPTCPClusterTests {
    /// Fast protocol timings for loopback, so that a failure is detected in about a second.
    static var loopbackSettings: Membership.Settings {
        var settings = Membership.Settings.testing
        settings.probeInterval = .milliseconds(200)
        settings.probeTimeout = .milliseconds(100)
        settings.gossipInterval = .milliseconds(50)
        return settings
    }

    @Test func threeNodesJoinDetectAKilledNodeAndSeeALeave() async throws {
        var nodes: [Membership.Node] = []
        for index in 0..<3 {
            let transport = try await UDPTCPTransport.bind(configuration: .init(host: "127.0.0.1", port: 0))
            var configuration = Membership.Node.Configuration(name: "udp-\(index)")
            configuration.clusterLabel = "loopback"
            configuration.settings = Self.loopbackSettings
            nodes.append(
                try Membership.Node(
                    configuration: configuration, transport: transport,
                    logger: Logger(label: "udp-\(index)", factory: { _ in SwiftLogNoOpLogHandler() })))
        }
        let started = ContinuousClock.now
        try await withThrowingTaskGroup { group in
            for node in nodes { group.addTask { try await node.run() } }
            try await nodes[0].join(seeds: [])
            for node in nodes.dropFirst() { try await node.join(seeds: [nodes[0].identity.address]) }
            let joined = try await poll(within: .seconds(60)) {
                nodes.allSatisfy { $0.members.filter(\.status.isAlive).count == 3 }
            }
            print("driver UDP+TCP: 3 nodes on 127.0.0.1 converged in \(joined)")

            await nodes[2].stop()
            let detected = try await poll(within: .seconds(60)) {
                nodes[0...1].allSatisfy { $0.member(named: "udp-2")?.status.isDead == true }
            }
            print("driver UDP+TCP: the killed node was declared failed by both others in \(detected)")

            await nodes[1].leave()
            let left = try await poll(within: .seconds(60)) {
                nodes[0].member(named: "udp-1")?.status.hasLeft == true
            }
            print("driver UDP+TCP: the leave was seen \(left) after leave() returned")
            #expect(nodes[0].members.filter(\.status.isAlive).map(\.name) == ["udp-0"])
            #expect(nodes[0].statistics.packetsIn > 0 && nodes[0].statistics.pushPullsServed >= 2)
            for node in nodes { await node.stop() }
            try await group.waitForAll()
        }
        print("driver UDP+TCP: whole test \(ContinuousClock.now - started)")
    }
}
