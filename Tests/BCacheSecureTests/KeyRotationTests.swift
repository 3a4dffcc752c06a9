import BCacheBase
import BCacheTransport
import BCacheTransportTestKit
import Testing

@testable import BCacheSecure

/// A three-node cluster rotates its key (install new on all, use new on all, remove old on all)
/// while packets keep flowing, and loses none of them.
@Suite struct KeyRotationTests {
    @Test func aThreeNodeClusterRotatesItsKeyWithoutLosingAPacket() async throws {
        let cluster = SecureCluster(seed: 0x207A7E)
        try cluster.network.setDefaultConditions(LinkConditions(latency: .milliseconds(5)))
        let old = testKey(1)
        let new = testKey(101)
        let keyrings = (0..<3).map { _ in Keyring(primary: old) }
        let nodes = try (0..<3).map { try cluster.node("10.0.0.\($0 + 1)", keyring: keyrings[$0]) }
        let sinks = nodes.map { Sink($0.incomingPackets) }
        var sent = 0

        func round(_ number: Int) async throws {
            for (from, sender) in nodes.enumerated() {
                for (to, receiver) in nodes.enumerated() where to != from {
                    try await sender.send(Array("round \(number) from \(from)".utf8), to: receiver.localAddress)
                    sent += 1
                }
            }
            cluster.network.advance(by: .milliseconds(1))
        }
        func drain() async throws {
            cluster.network.runUntilIdle()
            try await eventually("every packet sent so far arrived") {
                sinks.map(\.count).reduce(0, +) == sent
            }
        }

        for number in 0..<10 { try await round(number) }
        for keyring in keyrings { keyring.install(new) }
        for number in 10..<20 { try await round(number) }
        // Node by node, one round apart: packets sealed with the old key are still in flight
        // (5 ms) to nodes that already seal with the new one, and the reverse.
        for (index, keyring) in keyrings.enumerated() {
            try keyring.use(new)
            try await round(20 + index)
        }
        for number in 23..<30 { try await round(number) }
        // Before removing the old key, nothing sealed with it may still be on its way (in
        // production: wait the maximum message age).
        try await drain()
        for keyring in keyrings { try keyring.remove(old) }
        for number in 30..<40 { try await round(number) }
        try await drain()

        for (index, node) in nodes.enumerated() {
            #expect(node.statistics.totalRejectedPackets == 0)
            #expect(node.statistics.packetsOpened == 40 * 2)
            let payloads = Set(sinks[index].snapshot.map { String(decoding: $0.bytes, as: UTF8.self) })
            let expected = Set(
                (0..<40).flatMap { number in
                    (0..<3).filter { $0 != index }.map { "round \(number) from \($0)" }
                })
            #expect(payloads == expected)
        }
        #expect(keyrings.allSatisfy { $0.keyIDs == [new.id] && $0.primaryKeyID == new.id })
        // The wire shows the new key's ID.
        let sniffer = try cluster.raw("10.0.0.99")
        try cluster.network.setDefaultConditions(LinkConditions())
        let sealed = try await capture([1], from: nodes[0], via: sniffer)
        var id: UInt64 = 0
        for offset in 0..<8 { id |= UInt64(sealed[5 + offset]) << (8 * UInt64(offset)) }
        #expect(KeyID(rawValue: id) == new.id)
    }

    @Test func aPacketSealedWithARemovedKeyIsRefusedAsUnknown() async throws {
        let bench = try Bench()
        let recorded = try await bench.sealed([1])
        let next = testKey(42)
        bench.receiver.keyring.install(next)
        try bench.receiver.keyring.use(next)
        try bench.receiver.keyring.remove(testKey(7))
        try await bench.attacker.send(recorded, to: bench.receiver.localAddress)
        try await bench.receiver.send([2], to: bench.receiver.localAddress)  // sealed with the new key
        try await eventually("the receiver's own packet arrived") { bench.received.count == 1 }
        #expect(bench.received.snapshot.map(\.bytes) == [[2]])
        #expect(bench.receiver.statistics.rejectedPackets(.unknownKey) == 1)
    }

    @Test func framesKeepOpeningWhenTheSenderSwitchesKeysMidStream() async throws {
        let cluster = SecureCluster()
        let old = testKey(1)
        let new = testKey(101)
        let senderKeys = Keyring(primary: old, others: [new])
        let sender = try cluster.node("10.0.0.1", keyring: senderKeys)
        let receiver = try cluster.node("10.0.0.2", keyring: Keyring(primary: old, others: [new]))
        let accepted = Sink(receiver.incomingStreams)
        let stream = try await sender.openStream(to: receiver.localAddress)
        try await stream.send(frame: [0])
        try senderKeys.use(new)
        try await stream.send(frame: [1])
        try await eventually("the stream was accepted") { accepted.count == 1 }
        let frames = Sink(accepted.snapshot[0].inboundFrames)
        try await eventually("both frames arrived") { frames.count == 2 }
        #expect(frames.snapshot == [[0], [1]])
        #expect(receiver.statistics.framesOpened == 2)
    }
}
