import BCacheTransport
import BCacheTransportTCP
import BCacheTransportTestKit
import BCacheTransportUDP
import Synchronization
import Testing

@Suite struct TCPStreamTests {
    @Test func framesTravelBothWaysInOrder() async throws {
        let a = try await Loopback.tcp()
        let b = try await Loopback.tcp()
        let outgoing = try await a.openStream(to: b.localAddress)
        let incoming = try await Loopback.acceptStream(on: b)
        #expect(outgoing.remoteAddress == b.localAddress)
        #expect(incoming.remoteAddress == a.localAddress)
        for index in 0..<50 { try await outgoing.send(frame: [UInt8(index)]) }
        #expect(try await Loopback.frames(50, from: incoming) == (0..<50).map { [UInt8($0)] })
        try await incoming.send(frame: Array("reply".utf8))
        try await incoming.send(frame: [])
        #expect(try await Loopback.frames(2, from: outgoing) == [Array("reply".utf8), []])
        #expect(a.statistics.framesSent == 50 && b.statistics.framesReceived == 50)
        await outgoing.close()
        await a.close()
        await b.close()
    }

    @Test func aFrameOfSeveralMegabytesArrivesWhole() async throws {
        let a = try await Loopback.tcp()
        let b = try await Loopback.tcp()
        let outgoing = try await a.openStream(to: b.localAddress)
        let incoming = try await Loopback.acceptStream(on: b)
        let frame = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        async let sent: Void = outgoing.send(frame: frame)
        let received = try await Loopback.frames(1, from: incoming)
        try await sent
        #expect(received == [frame])
        await a.close()
        await b.close()
    }

    @Test func aFrameOverTheMaximumIsRefusedBySend() async throws {
        let a = try await Loopback.tcp { $0.maxFrameSize = 1000 }
        let b = try await Loopback.tcp()
        let outgoing = try await a.openStream(to: b.localAddress)
        await #expect(throws: TransportError(.frameTooLarge, "")) {
            try await outgoing.send(frame: [UInt8](repeating: 0, count: 1001))
        }
        try await outgoing.send(frame: [UInt8](repeating: 0, count: 1000))
        await a.close()
        await b.close()
    }

    @Test func aFrameOverTheReceiversMaximumBreaksTheStreamWithFrameTooLarge() async throws {
        let a = try await Loopback.tcp()
        let b = try await Loopback.tcp { $0.maxFrameSize = 1000 }
        let outgoing = try await a.openStream(to: b.localAddress)
        let incoming = try await Loopback.acceptStream(on: b)
        try await outgoing.send(frame: [UInt8](repeating: 0, count: 1001))
        await #expect(throws: TransportError(.frameTooLarge, "")) {
            _ = try await Loopback.frames(1, from: incoming)
        }
        try await eventually("b.statistics.droppedOversized == 1") { b.statistics.droppedOversized == 1 }
        await a.close()
        await b.close()
    }

    @Test func streamsTravelOverIPv6Loopback() async throws {
        guard await Loopback.hasIPv6() else { return }
        let a = try await Loopback.tcp(host: Loopback.ipv6)
        let b = try await Loopback.tcp(host: Loopback.ipv6)
        let outgoing = try await a.openStream(to: b.localAddress)
        let incoming = try await Loopback.acceptStream(on: b)
        try await outgoing.send(frame: [9, 9])
        #expect(try await Loopback.frames(1, from: incoming) == [[9, 9]])
        #expect(incoming.remoteAddress == a.localAddress)
        await a.close()
        await b.close()
    }

    @Test func openingAStreamToAPortNobodyListensOnThrowsUnreachablePromptly() async throws {
        let gone = try await Loopback.tcp()
        let address = gone.localAddress
        await gone.close()
        let a = try await Loopback.tcp { $0.connectTimeout = .milliseconds(500) }
        let started = ContinuousClock.now
        await #expect(throws: TransportError(.unreachable, "")) {
            _ = try await a.openStream(to: address)
        }
        // Refused at once, not after the kernel's SYN retries (minutes); generous for a loaded CI machine.
        #expect(ContinuousClock.now - started < .seconds(15))
        #expect(a.statistics.connectionsFailed == 1)
        await a.close()
    }

    @Test func closingOneEndFinishesTheOtherEndsFrames() async throws {
        let a = try await Loopback.tcp()
        let b = try await Loopback.tcp()
        let outgoing = try await a.openStream(to: b.localAddress)
        let incoming = try await Loopback.acceptStream(on: b)
        try await outgoing.send(frame: [1])
        await outgoing.close()
        await outgoing.close()
        // The frame sent before close arrives, then the sequence ends.
        #expect(try await Loopback.frames(2, from: incoming) == [[1]])
        await #expect(throws: TransportError(.closed, "")) { try await outgoing.send(frame: [2]) }
        await a.close()
        await b.close()
    }

    @Test func closingTheTransportEndsItsStreamsAndThePeersToo() async throws {
        let a = try await Loopback.tcp()
        let b = try await Loopback.tcp()
        let outgoing = try await a.openStream(to: b.localAddress)
        let incoming = try await Loopback.acceptStream(on: b)
        await a.close()
        let frames = try await withTimeLimit("the peer's stream ending") {
            var count = 0
            do {
                for try await _ in incoming.inboundFrames { count += 1 }
            } catch {}
            return count
        }
        #expect(frames == 0)
        await #expect(throws: TransportError(.closed, "")) { try await outgoing.send(frame: [1]) }
        try await eventually("b.openConnectionCount == 0") { b.openConnectionCount == 0 }
        await b.close()
    }

    @Test func sendSuspendsWhileThePeerDoesNotReadThenEveryFrameArrives() async throws {
        let a = try await Loopback.tcp()
        let b = try await Loopback.tcp()
        let outgoing = try await a.openStream(to: b.localAddress)
        let incoming = try await Loopback.acceptStream(on: b)
        let frameCount = 512
        let frameSize = 64 << 10
        let completed = Atomic<Int>(0)
        let sender = Task {
            for index in 0..<frameCount {
                try await outgoing.send(frame: [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: frameSize))
                completed.add(1, ordering: .relaxed)
            }
        }
        // Wait until the sender stops making progress: the peer reads nothing, so the kernel's
        // buffers, then NIO's, then the receiver's inbox fill up and `send` suspends.
        var last = -1
        let stalled =
            (try? await eventually("the sender stopped making progress", within: .seconds(10)) {
                let now = completed.load(ordering: .relaxed)
                defer { last = now }
                guard now == last else { return false }
                try? await Task.sleep(for: .milliseconds(200))
                return completed.load(ordering: .relaxed) == now
            }) != nil
        let sentBeforeReading = completed.load(ordering: .relaxed)
        #expect(stalled)
        #expect(sentBeforeReading < frameCount)
        let frames = try await Loopback.frames(frameCount, from: incoming, within: .seconds(20))
        try await sender.value
        #expect(frames.count == frameCount)
        #expect(
            frames.enumerated().allSatisfy {
                $0.element.count == frameSize && $0.element.first == UInt8(truncatingIfNeeded: $0.offset)
            })
        await a.close()
        await b.close()
    }
}

extension TCPStreamTests {
    @Test func streamsNobodyAcceptsBeyondThePendingLimitAreRefused() async throws {
        let a = try await Loopback.tcp()
        let b = try await Loopback.tcp { $0.pendingStreamLimit = 2 }
        var streams: [any TransportStream] = []
        // One at a time, each announced by a frame, so that the third is surely the refused one.
        for index in 0..<2 {
            let stream = try await a.openStream(to: b.localAddress)
            try await stream.send(frame: [UInt8(index)])
            streams.append(stream)
            try await eventually("b.statistics.framesReceived == index + 1") {
                b.statistics.framesReceived == index + 1
            }
        }
        streams.append(try await a.openStream(to: b.localAddress))
        try await eventually("b.statistics.droppedReceiveQueueFull == 1") { b.statistics.droppedReceiveQueueFull == 1 }
        // The refused stream sees its end; the two waiting ones are still served, oldest first.
        // (cleanly, or with a reset when the refusing side closed on unread bytes).
        do {
            #expect(try await Loopback.frames(1, from: streams[2]) == [])
        } catch let error as TransportError {
            #expect(error.code == .closed)
        }
        let first = try await Loopback.acceptStream(on: b)
        #expect(try await Loopback.frames(1, from: first) == [[0]])
        await a.close()
        await b.close()
    }
}

extension TCPStreamTests {
    @Test func aStreamToAPeerThatNeverAnswersFailsAfterTheConnectTimeout() async throws {
        let silent = try SilentListener()
        let a = try await Loopback.tcp { $0.connectTimeout = .milliseconds(300) }
        // Fill the silent listener's accept queue: these complete, or time out once it is full.
        var fillers: [any TransportStream] = []
        var timedOut = false
        for _ in 0..<4 where !timedOut {
            let started = ContinuousClock.now
            do {
                fillers.append(try await a.openStream(to: silent.address))
            } catch let error as TransportError {
                #expect(error.code == .unreachable)
                let elapsed = ContinuousClock.now - started
                // The configured timeout, not the kernel's (minutes); the upper bound is loose for loaded machines.
                #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(15))
                timedOut = true
            }
        }
        #expect(timedOut)
        #expect(a.statistics.connectionsFailed == 1)
        await a.close()
        withExtendedLifetime(silent) {}
    }
}
