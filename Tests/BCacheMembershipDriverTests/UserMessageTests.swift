import BCacheMembership
import BCacheTransport
import BCacheTransportTestKit
import Logging
import Synchronization
import Testing

/// User packets and user streams: sent straight to one node over the membership's transport,
/// told apart from the protocol's own packets and push-pulls, and hostile ones counted.
@Suite(.timeLimit(.minutes(1)))
struct UserMessageTests {
    /// Two running nodes (not joined: user messages need no membership) on a real-time in-memory
    /// network with the label "user", and that network for intruders.
    private func withTwoNodes(
        seed: UInt64, handler: (@Sendable (Membership.UserPacket) -> Void)? = nil,
        _ body: ([Membership.Node], InMemoryNetwork) async throws -> Void
    ) async throws {
        let network = InMemoryNetwork(seed: seed, clock: .real)
        var nodes: [Membership.Node] = []
        for index in 0..<2 {
            let transport = try network.makeTransport(address: NodeAddress(host: "10.2.0.\(index + 1)", port: 7946))
            var configuration = Membership.Node.Configuration(name: "user-\(index)")
            configuration.clusterLabel = "user"
            configuration.settings = .testing
            nodes.append(
                try Membership.Node(
                    configuration: configuration, transport: transport, clock: .continuous,
                    logger: Logger(label: "user-\(index)", factory: { _ in SwiftLogNoOpLogHandler() }),
                    userPacketHandler: index == 1 ? handler : nil))
        }
        try await withThrowingTaskGroup { group in
            for node in nodes { group.addTask { try await node.run() } }
            do {
                try await body(nodes, network)
            } catch {
                for node in nodes { await node.stop() }
                throw error
            }
            for node in nodes { await node.stop() }
            try await group.waitForAll()
        }
    }

    @Test func aUserPacketReachesOnlyTheNodeItWasSentTo() async throws {
        try await withTwoNodes(seed: 81) { nodes, _ in
            let received = nodes[1].makeUserPacketStream()
            try await nodes[0].send(userPacket: [1, 2, 3], to: nodes[1].identity.address)
            try await eventually("node 1 took the user packet", within: .seconds(20)) {
                nodes[1].statistics.userPacketsIn == 1
            }
            var iterator = received.makeAsyncIterator()
            let packet = await iterator.next()
            #expect(packet == Membership.UserPacket(sender: nodes[0].identity.address, bytes: [1, 2, 3]))
            #expect(nodes[0].statistics.userPacketsOut == 1)
            #expect(nodes[0].statistics.userPacketsIn == 0)
            #expect(nodes[1].statistics.totalDecodeFailures == 0)
        }
    }

    @Test func theUserPacketHandlerGetsEachPacketBeforeTheSubscribers() async throws {
        let handled = HandledPackets()
        let handler: @Sendable (Membership.UserPacket) -> Void = { packet in
            handled.packets.withLock { $0.append(packet) }
        }
        try await withTwoNodes(seed: 87, handler: handler) { nodes, _ in
            let received = nodes[1].makeUserPacketStream()
            try await nodes[0].send(userPacket: [4, 5], to: nodes[1].identity.address)
            var iterator = received.makeAsyncIterator()
            let packet = await iterator.next()
            // The handler ran first, synchronously, in the packet pump.
            #expect(
                handled.packets.withLock { $0 } == [
                    Membership.UserPacket(sender: nodes[0].identity.address, bytes: [4, 5])
                ])
            #expect(packet?.bytes == [4, 5])
            #expect(nodes[1].statistics.userPacketsDropped == 0)
        }
    }

    @Test func aUserPacketLargerThanThePacketIsRefused() async throws {
        try await withTwoNodes(seed: 82) { nodes, _ in
            let node = nodes[0]
            #expect(node.maxUserPacketSize == node.transport.maxPacketSize - 5 - "user".utf8.count)
            try await node.send(
                userPacket: [UInt8](repeating: 7, count: node.maxUserPacketSize), to: nodes[1].identity.address)
            await #expect(throws: Membership.NodeError(.payloadTooLarge, "")) {
                try await node.send(
                    userPacket: [UInt8](repeating: 7, count: node.maxUserPacketSize + 1), to: nodes[1].identity.address)
            }
        }
    }

    @Test func aUserStreamCarriesFramesBothWays() async throws {
        try await withTwoNodes(seed: 83) { nodes, _ in
            let incoming = nodes[1].makeIncomingUserStreams()
            let stream = try await nodes[0].openUserStream(to: nodes[1].identity.address)
            try await stream.send(frame: Array("first".utf8))
            try await stream.send(frame: Array("second".utf8))
            var streams = incoming.makeAsyncIterator()
            let accepted = try #require(await streams.next())
            #expect(accepted.sender == nodes[0].identity.address)
            var frames = accepted.stream.inboundFrames.makeAsyncIterator()
            #expect(try await frames.next() == Array("first".utf8))
            #expect(try await frames.next() == Array("second".utf8))
            try await accepted.stream.send(frame: Array("reply".utf8))
            var replies = stream.inboundFrames.makeAsyncIterator()
            #expect(try await replies.next() == Array("reply".utf8))
            await stream.close()
            #expect(nodes[0].statistics.userStreamsOpened == 1)
            #expect(nodes[1].statistics.userStreamsAccepted == 1)
            #expect(nodes[1].statistics.pushPullsServed == 0, "a user stream is not a push-pull")
        }
    }

    @Test func aUserStreamNobodyTakesIsClosed() async throws {
        try await withTwoNodes(seed: 84) { nodes, _ in
            let stream = try await nodes[0].openUserStream(to: nodes[1].identity.address)
            try await eventually("node 1 refused the user stream", within: .seconds(20)) {
                nodes[1].statistics.userStreamsRefused == 1
            }
            var frames = stream.inboundFrames.makeAsyncIterator()
            // Closed by the receiver: the frames end (or the stream reports it broke).
            let next = try? await frames.next()
            #expect(next == nil)
            #expect(nodes[1].statistics.userStreamsAccepted == 0)
        }
    }

    /// A push-pull request that is not a join is served from its bytes (the instance decodes
    /// them under the lock): a malformed one is counted, unanswered and merges nothing; a
    /// well-formed one is answered with the node's list and merged.
    @Test func aPlainPushPullIsServedFromItsBytesAndAMalformedOneIsCounted() async throws {
        try await withTwoNodes(seed: 86) { nodes, network in
            let target = nodes[1].identity.address
            let intruder = try network.makeTransport(address: NodeAddress(host: "10.2.9.8", port: 7946))
            let stranger = Membership.Member(
                identity: Membership.NodeIdentity(
                    id: NodeID(rawValue: 0xF00D), name: "stranger", address: NodeAddress(host: "10.2.9.8", port: 7946)),
                status: .alive(incarnation: 1))
            let request = Membership.Wire.encode(
                Membership.PushPullState(members: [stranger], isJoin: false), label: "user")
            #expect(Membership.Wire.opensPlainPushPull(request, label: "user"))

            let cut = try await intruder.openStream(to: target)
            try await cut.send(frame: Array(request.dropLast(3)))
            var cutFrames = cut.inboundFrames.makeAsyncIterator()
            #expect((try? await cutFrames.next()) == nil, "no answer to a request that does not decode")
            await cut.close()
            try await eventually("node 1 counted the truncated request", within: .seconds(20)) {
                nodes[1].statistics.decodeFailures[.truncated] == 1
            }
            #expect(!nodes[1].members.contains { $0.identity.id == stranger.identity.id })

            let stream = try await intruder.openStream(to: target)
            try await stream.send(frame: request)
            var frames = stream.inboundFrames.makeAsyncIterator()
            let answer = try #require(try await frames.next())
            let list = try Membership.Wire.decodePushPull(answer, label: "user")
            #expect(!list.isJoin)
            #expect(list.members.contains { $0.identity.id == nodes[1].identity.id })
            await stream.close()
            try await eventually("node 1 merged the request's member", within: .seconds(20)) {
                nodes[1].members.contains { $0.identity.id == stranger.identity.id }
            }
            #expect(nodes[1].statistics.totalDecodeFailures == 1)
            await intruder.close()
        }
    }

    @Test func malformedUserMessagesAreCountedAndDeliverNothing() async throws {
        try await withTwoNodes(seed: 85) { nodes, network in
            let target = nodes[1].identity.address
            let packets = nodes[1].makeUserPacketStream()
            let streams = nodes[1].makeIncomingUserStreams()
            let intruder = try network.makeTransport(address: NodeAddress(host: "10.2.9.9", port: 7946))
            // Another cluster's user packet, a truncated user envelope, a stream opening sent as
            // a datagram, an unknown envelope kind.
            try await intruder.send(Membership.Wire.encodeUserPacket([1], label: "other"), to: target)
            try await intruder.send([0xBC, 0x4D, 1, 3], to: target)
            try await intruder.send(Membership.Wire.encodeUserStreamOpening(label: "user"), to: target)
            try await intruder.send([0xBC, 0x4D, 1, 0x7F, 0], to: target)
            // Streams: garbage first, a user opening with trailing bytes, another cluster's opening.
            let openings: [[UInt8]] = [
                [0xBC, 0x4D, 1], Membership.Wire.encodeUserStreamOpening(label: "user") + [0],
                Membership.Wire.encodeUserStreamOpening(label: "other"),
            ]
            for opening in openings {
                let stream = try await intruder.openStream(to: target)
                try await stream.send(frame: opening)
                var frames = stream.inboundFrames.makeAsyncIterator()
                let next = try? await frames.next()
                #expect(next == nil, "the node closes a stream whose opening does not decode")
                await stream.close()
            }
            try await eventually("node 1 counted 7 decode failures", within: .seconds(20)) {
                nodes[1].statistics.totalDecodeFailures == 7
            }
            let statistics = nodes[1].statistics
            #expect(statistics.decodeFailures[.labelMismatch] == 2)
            #expect(statistics.decodeFailures[.truncated] == 2)
            #expect(statistics.decodeFailures[.malformed] == 3)
            #expect(statistics.userPacketsIn == 0 && statistics.userStreamsAccepted == 0)
            // The node still serves real ones.
            try await intruder.send(Membership.Wire.encodeUserPacket([9], label: "user"), to: target)
            var received = packets.makeAsyncIterator()
            #expect(await received.next()?.bytes == [9])
            _ = streams
            await intruder.close()
        }
    }
}

/// What a user packet handler was given.
private final class HandledPackets: Sendable {
    let packets = Mutex<[Membership.UserPacket]>([])
}

/// The user envelopes' bytes.
@Suite struct UserWireFormatTests {
    @Test func userEnvelopesRoundTripAndAreToldApartFromTheProtocolsOwn() throws {
        let packet = Membership.Wire.encodeUserPacket([0xAA, 0xBB], label: "c")
        #expect(packet == [0xBC, 0x4D, 1, 3, 1, 0x63, 0xAA, 0xBB])
        #expect(try Membership.Wire.decodeDatagram(packet, label: "c") == .user([0xAA, 0xBB]))
        #expect(
            try Membership.Wire.decodeDatagram(Membership.Wire.encodeUserPacket([], label: "c"), label: "c")
                == .user([]))
        let ack = Membership.Packet([.ack(sequence: 4)])
        #expect(try Membership.Wire.decodeDatagram(Membership.Wire.encode(ack, label: "c"), label: "c") == .packet(ack))
        #expect(throws: Membership.WireError(.malformed, "")) { try Membership.Wire.decode(packet, label: "c") }

        let opening = Membership.Wire.encodeUserStreamOpening(label: "c")
        #expect(opening == [0xBC, 0x4D, 1, 4, 1, 0x63])
        #expect(try Membership.Wire.decodeStreamOpening(opening, label: "c") == .userStream)
        let state = Membership.PushPullState(members: [], isJoin: true)
        #expect(
            try Membership.Wire.decodeStreamOpening(Membership.Wire.encode(state, label: "c"), label: "c")
                == .pushPull(state))
        #expect(throws: Membership.WireError(.malformed, "")) {
            try Membership.Wire.decodeStreamOpening(packet, label: "c")
        }
    }

    @Test func everyPrefixAndMutationOfAUserEnvelopeDecodesOrFailsWithATypedError() {
        let valid = Membership.Wire.encodeUserPacket(Array(0..<40), label: "label")
        var random = SplitMix64(seed: 86)
        var inputs = (0...valid.count).map { Array(valid.prefix($0)) }
        for _ in 0..<5_000 {
            var mutated = valid
            mutated[Int(random.next() % UInt64(mutated.count))] = UInt8(truncatingIfNeeded: random.next())
            inputs.append(mutated)
        }
        var decoded = 0
        for input in inputs {
            if (try? Membership.Wire.decodeDatagram(input, label: "label")) != nil { decoded += 1 }
            _ = try? Membership.Wire.decodeStreamOpening(input, label: "label")
        }
        // The full envelope and the mutations of its user bytes decode; what breaks the header
        // does not.
        #expect(decoded > 1 && decoded < inputs.count)
    }
}
