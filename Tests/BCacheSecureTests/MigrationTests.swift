import BCacheBase
import BCacheTransport
import BCacheTransportTestKit
import Testing

@testable import BCacheSecure

/// Turning encryption on in a running cluster: plaintext is accepted only while
/// `verifyIncoming` is off, sent only while `encryptOutgoing` is off, and always told apart from
/// sealed messages by its first byte.
@Suite struct MigrationTests {
    @Test func theEncryptedModeRefusesPlaintext() async throws {
        let bench = try Bench()
        try await bench.inject([[1, 2, 3], [], Array("hello".utf8)])
        #expect(bench.receiver.statistics.rejectedPackets(.plaintextRefused) == 3)
        #expect(bench.deliveredOnlyMarkers)
    }

    @Test func plaintextModeSendsPayloadsAsIsAndAcceptsBoth() async throws {
        let cluster = SecureCluster()
        let keyring = Keyring(primary: testKey(1))
        let node = try cluster.node("10.0.0.1", keyring: keyring, migration: .plaintext)
        let sealing = try cluster.node("10.0.0.2", keyring: keyring)
        let legacy = try cluster.raw("10.0.0.3")
        let received = Sink(node.incomingPackets)
        try await legacy.send(Array("from a node without encryption".utf8), to: node.localAddress)
        try await sealing.send(Array("sealed".utf8), to: node.localAddress)
        try await eventually("both arrived") { received.count == 2 }
        #expect(received.snapshot.map(\.bytes) == [Array("from a node without encryption".utf8), Array("sealed".utf8)])
        #expect(node.statistics.plaintextPacketsAccepted == 1)
        #expect(node.statistics.packetsOpened == 1)
        // What it sends is the payload itself, readable by a node without encryption.
        let onTheWire = try await capture(Array("plain".utf8), from: node, via: legacy)
        #expect(onTheWire == Array("plain".utf8))
        #expect(node.statistics.plaintextPacketsSent == 1)
    }

    @Test func plaintextStartingWithAMarkerByteIsEscapedAndArrivesIntact() async throws {
        let cluster = SecureCluster()
        let keyring = Keyring(primary: testKey(1))
        let sender = try cluster.node("10.0.0.1", keyring: keyring, migration: .plaintext)
        let receiver = try cluster.node("10.0.0.2", keyring: keyring, migration: .acceptingPlaintext)
        let sniffer = try cluster.raw("10.0.0.3")
        let received = Sink(receiver.incomingPackets)
        let tricky: [[UInt8]] = [[0xB5, 1, 2], [0xB4], [0xB4, 0xB5], [0xB5] + [UInt8](repeating: 0, count: 100)]
        for payload in tricky { try await sender.send(payload, to: receiver.localAddress) }
        try await eventually("all arrived") { received.count == tricky.count }
        #expect(received.snapshot.map(\.bytes) == tricky)
        #expect(receiver.statistics.totalRejectedPackets == 0)
        #expect(try await capture([0xB5, 1], from: sender, via: sniffer) == [0xB4, 0xB5, 1])
    }

    @Test func aSealedPacketThatFailsIsNeverTakenForPlaintext() async throws {
        let cluster = SecureCluster()
        let receiver = try cluster.node("10.0.0.1", keyring: Keyring(primary: testKey(1)), migration: .plaintext)
        let intruder = try cluster.node("10.0.0.2", keyring: Keyring(primary: testKey(2)))
        let received = Sink(receiver.incomingPackets)
        try await intruder.send([1], to: receiver.localAddress)
        try await receiver.send([2], to: receiver.localAddress)
        try await eventually("the receiver's own packet arrived") { received.count == 1 }
        #expect(received.snapshot.map(\.bytes) == [[2]])
        #expect(receiver.statistics.rejectedPackets(.unknownKey) == 1)
    }

    /// The documented procedure, on three nodes with packets flowing at every step: plaintext
    /// everywhere, then sealing everywhere while plaintext is still accepted, then verification
    /// everywhere. Nothing is refused or lost along the way.
    @Test func turningEncryptionOnInARunningClusterLosesNothing() async throws {
        let cluster = SecureCluster()
        let keyring = Keyring(primary: testKey(1))
        let nodes = try (0..<3).map { try cluster.node("10.0.0.\($0 + 1)", keyring: keyring, migration: .plaintext) }
        let sinks = nodes.map { Sink($0.incomingPackets) }
        var sent = 0
        func exchange() async throws {
            for sender in nodes {
                for receiver in nodes where receiver !== sender {
                    try await sender.send([UInt8(sent % 256)], to: receiver.localAddress)
                    sent += 1
                }
            }
            try await eventually("every packet arrived") { sinks.map(\.count).reduce(0, +) == sent }
        }
        try await exchange()
        for node in nodes {
            node.setMigration(.acceptingPlaintext)
            try await exchange()
        }
        for node in nodes {
            node.setMigration(.encrypted)
            try await exchange()
        }
        #expect(nodes.allSatisfy { $0.migration == .encrypted })
        #expect(nodes.map(\.statistics.totalRejectedPackets) == [0, 0, 0])
        #expect(nodes.map(\.statistics.plaintextPacketsAccepted).reduce(0, +) > 0)
        // At the end everything is sealed and plaintext is refused.
        let legacy = try cluster.raw("10.0.0.9")
        try await legacy.send([1], to: nodes[0].localAddress)
        try await nodes[1].send([2], to: nodes[0].localAddress)
        try await eventually("the sealed packet arrived") { sinks[0].snapshot.last?.bytes == [2] }
        #expect(nodes[0].statistics.rejectedPackets(.plaintextRefused) == 1)
    }

    @Test func plaintextFramesAreAcceptedOnlyWhileVerificationIsOff() async throws {
        let cluster = SecureCluster()
        let keyring = Keyring(primary: testKey(1))
        let sender = try cluster.node("10.0.0.1", keyring: keyring, migration: .plaintext)
        let lenient = try cluster.node("10.0.0.2", keyring: keyring, migration: .acceptingPlaintext)
        let strict = try cluster.node("10.0.0.3", keyring: keyring)
        for (receiver, accepts) in [(lenient, true), (strict, false)] {
            let accepted = Sink(receiver.incomingStreams)
            let stream = try await sender.openStream(to: receiver.localAddress)
            try await stream.send(frame: [0xB5, 7])
            try await eventually("the stream was accepted") { accepted.count == 1 }
            var frames = accepted.snapshot[0].inboundFrames.makeAsyncIterator()
            if accepts {
                #expect(try await frames.next() == [0xB5, 7])
                #expect(receiver.statistics.plaintextFramesAccepted == 1)
            } else {
                await #expect(throws: TransportError(.malformed, "")) { _ = try await frames.next() }
                #expect(receiver.statistics.rejectedFrames(.plaintextRefused) == 1)
            }
        }
    }
}
