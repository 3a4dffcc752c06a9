import BCacheTransport
import BCacheTransportTestKit
import Synchronization
import Testing

@Suite struct InMemoryStreamTests {
    private func connectedPair(
        _ network: InMemoryNetwork, configuration: InMemoryTransport.Configuration = .init()
    ) async throws -> (opened: any TransportStream, accepted: any TransportStream) {
        let a = try network.makeTransport(address: .node(1), configuration: configuration)
        let b = try network.makeTransport(address: .node(2), configuration: configuration)
        let opened = try await a.openStream(to: b.localAddress)
        var incoming = b.incomingStreams.makeAsyncIterator()
        let accepted = try #require(await incoming.next())
        #expect(opened.remoteAddress == b.localAddress)
        #expect(accepted.remoteAddress == a.localAddress)
        return (opened, accepted)
    }

    @Test func aSenderSuspendsWhileThePeersBufferIsFull() async throws {
        let network = InMemoryNetwork(seed: 1)
        let (opened, accepted) = try await connectedPair(network, configuration: .init(streamBufferFrames: 4))
        let sent = Mutex(0)
        let sender = Task {
            for number in 0..<10 {
                try await opened.send(frame: [UInt8(number)])
                sent.withLock { $0 += 1 }
            }
        }
        try await eventually("4 frames buffered") { sent.withLock { $0 } >= 4 }
        // Without backpressure the sender would have run through all 10 sends at once.
        #expect(sent.withLock { $0 } == 4)

        var frames = accepted.inboundFrames.makeAsyncIterator()
        #expect(try await frames.next() == [0])
        try await eventually("a fifth frame admitted") { sent.withLock { $0 } >= 5 }
        for number in 1..<10 { #expect(try await frames.next() == [UInt8(number)]) }
        try await sender.value
        #expect(sent.withLock { $0 } == 10)
    }

    @Test func aFrameLargerThanTheWindowStillPassesOnItsOwn() async throws {
        let network = InMemoryNetwork(seed: 1)
        let (opened, accepted) = try await connectedPair(network, configuration: .init(streamBufferBytes: 1024))
        let big = [UInt8](repeating: 7, count: 100_000)
        try await opened.send(frame: big)
        var frames = accepted.inboundFrames.makeAsyncIterator()
        #expect(try await frames.next() == big)
    }

    @Test func closingAnEndDeliversWhatWasSentThenEndsThePeersInbound() async throws {
        let network = InMemoryNetwork(seed: 1)
        let (opened, accepted) = try await connectedPair(network)
        for number in 0..<3 { try await opened.send(frame: [UInt8(number)]) }
        await opened.close()

        var received: [[UInt8]] = []
        for try await frame in accepted.inboundFrames { received.append(frame) }
        #expect(received == [[0], [1], [2]])
        await #expect(throws: TransportError(.closed, "")) { try await accepted.send(frame: [9]) }
        await #expect(throws: TransportError(.closed, "")) { try await opened.send(frame: [9]) }
        await accepted.close()
        #expect(network.finish().openStreams == 0)
    }

    @Test func framesOverTheMaximumAreRefusedAndTheStreamGoesOn() async throws {
        let network = InMemoryNetwork(seed: 1)
        let (opened, accepted) = try await connectedPair(network, configuration: .init(maxFrameSize: 64))
        await #expect(throws: TransportError(.frameTooLarge, "")) {
            try await opened.send(frame: [UInt8](repeating: 0, count: 65))
        }
        try await opened.send(frame: [UInt8](repeating: 1, count: 64))
        var frames = accepted.inboundFrames.makeAsyncIterator()
        #expect(try await frames.next() == [UInt8](repeating: 1, count: 64))
    }

    @Test func aStreamToAnAddressNobodyListensAtIsUnreachable() async throws {
        let network = InMemoryNetwork(seed: 1)
        let a = try network.makeTransport(address: .node(1))
        await #expect(throws: TransportError(.unreachable, "")) {
            _ = try await a.openStream(to: .node(99))
        }
        #expect(network.statistics.streamsRefused == 1)
        #expect(network.statistics.streamsOpened == 0)
    }

    @Test func closingATransportEndsThePeersInboundAndItsOwnIncomingStreams() async throws {
        let network = InMemoryNetwork(seed: 1)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2))
        let opened = try await a.openStream(to: b.localAddress)
        try await opened.send(frame: [1])
        await b.close()

        var acceptedAfterClose = 0
        for await stream in b.incomingStreams {
            acceptedAfterClose += 1
            // The stream b never accepted was closed with b.
            await #expect(throws: TransportError(.closed, "")) { try await stream.send(frame: [2]) }
        }
        #expect(acceptedAfterClose == 1)
        var frames = 0
        for try await _ in opened.inboundFrames { frames += 1 }
        #expect(frames == 0)
        await #expect(throws: TransportError(.closed, "")) { try await opened.send(frame: [3]) }
    }

    @Test func framesFromManyTasksKeepEachTasksOrder() async throws {
        let network = InMemoryNetwork(seed: 1)
        let (opened, accepted) = try await connectedPair(network, configuration: .init(streamBufferFrames: 2))
        let reader = Task {
            var frames: [[UInt8]] = []
            for try await frame in accepted.inboundFrames { frames.append(frame) }
            return frames
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<4 {
                group.addTask {
                    for number in 0..<50 { try await opened.send(frame: [UInt8(task), UInt8(number)]) }
                }
            }
            try await group.waitForAll()
        }
        await opened.close()
        let frames = try await reader.value
        #expect(frames.count == 200)
        for task in 0..<4 {
            #expect(frames.filter { $0[0] == UInt8(task) }.map { Int($0[1]) } == Array(0..<50))
        }
    }

    @Test func cancellingASuspendedSenderWithdrawsItsFrameAndTheStreamGoesOn() async throws {
        let network = InMemoryNetwork(seed: 1)
        let (opened, accepted) = try await connectedPair(network, configuration: .init(streamBufferFrames: 1))
        try await opened.send(frame: [1])  // fills the buffer
        let blocked = Task { try await opened.send(frame: [2]) }
        blocked.cancel()
        await #expect(throws: CancellationError.self) { try await blocked.value }

        var frames = accepted.inboundFrames.makeAsyncIterator()
        #expect(try await frames.next() == [1])
        try await withTimeLimit("a frame after the cancelled one") {
            try await opened.send(frame: [3])
        }
        #expect(try await frames.next() == [3])
    }
}
