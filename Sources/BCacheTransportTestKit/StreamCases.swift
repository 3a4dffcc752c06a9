import BCacheTransport

/// The cases about streams and about closing.
extension TransportConformance {
    func streamFramesArriveInOrder() async throws {
        try await withConnectedStream { opened, accepted, _ in
            var random = RandomBytes()
            // Each frame starts with its 4-byte number, so a swap or a loss is named exactly.
            let outbound = (0..<300).map { number in
                Self.numbered(number) + random.make(random.next(in: 0..<2048))
            }
            try await exchange(outbound, over: opened, to: accepted, "initiator to acceptor")
            let inbound = (0..<50).map { number in Self.numbered(number) + random.make(random.next(in: 0..<512)) }
            try await exchange(inbound, over: accepted, to: opened, "acceptor to initiator")
        }
    }

    func largeFramesArriveWhole() async throws {
        try await withConnectedStream { opened, accepted, frameLimit in
            var random = RandomBytes()
            let size = min(options.largeFrameSize, frameLimit)
            let frames = [random.make(size), random.make(size / 2 + 7), random.make(1)]
            try await exchange(frames, over: opened, to: accepted, "\(size)-byte frames")
        }
    }

    func oversizedFrameIsRefused() async throws {
        try await withConnectedStream { opened, accepted, limit in
            let oversized = [UInt8](repeating: 0x5A, count: limit + 1)
            try await expectError(.frameTooLarge, "sending a frame of \(oversized.count) bytes (max \(limit))") {
                try await opened.send(frame: oversized)
            }
            // The stream still works, and the refused frame never arrives.
            try await exchange([[1, 2, 3], [4]], over: opened, to: accepted, "frames after a refused one")
        }
    }

    func closingEndsIncomingSequences() async throws {
        try await withTransports(2) { transports in
            let (closing, peer) = (transports[0], transports[1])
            let packets = collectPackets(closing)
            let streams = collectStreams(closing)
            defer {
                packets.stop()
                streams.stop()
            }
            var peerFrames: Collector<[UInt8]>?
            if options.supportsStreams {
                let target = closing.localAddress
                let stream = try await Waiting.bounded("opening a stream to \(target)", timeout: options.timeout) {
                    try await peer.openStream(to: target)
                }
                peerFrames = collectFrames(stream)
                try await Waiting.until("\(target) accepted the stream", timeout: options.timeout) {
                    streams.count == 1
                }
            }
            defer { peerFrames?.stop() }
            try await deliver([[7, 7]], from: peer, to: closing, received: packets)

            await closing.close()
            try await Waiting.until("incomingPackets of the closed transport ended", timeout: options.timeout) {
                packets.hasEnded
            }
            try await Waiting.until("incomingStreams of the closed transport ended", timeout: options.timeout) {
                streams.hasEnded
            }
            if let peerFrames {
                try await Waiting.until("the peer's stream inbound frames ended", timeout: options.timeout) {
                    peerFrames.hasEnded
                }
            }
            let address = peer.localAddress
            try await expectError(.closed, "sending a packet from a closed transport") {
                try await closing.send([1], to: address)
            }
            if options.supportsStreams {
                try await expectError(.closed, "opening a stream from a closed transport") {
                    _ = try await closing.openStream(to: address)
                }
            }
            await closing.close()  // idempotent
        }
    }

    // MARK: Helpers

    /// Opens a stream from one transport to another, runs `body` with both ends and the smaller
    /// of the two transports' maximum frame sizes, then closes them.
    /// When the transport has no streams, checks that opening one throws `.unsupported` instead.
    private func withConnectedStream(
        _ body: (_ opened: any TransportStream, _ accepted: any TransportStream, _ frameLimit: Int) async throws -> Void
    ) async throws {
        try await withTransports(2) { transports in
            let (initiator, acceptor) = (transports[0], transports[1])
            let target = acceptor.localAddress
            guard options.supportsStreams else {
                try await expectError(.unsupported, "opening a stream on a transport without streams") {
                    _ = try await initiator.openStream(to: target)
                }
                return
            }
            let incoming = collectStreams(acceptor)
            defer { incoming.stop() }
            let opened = try await Waiting.bounded("opening a stream to \(target)", timeout: options.timeout) {
                try await initiator.openStream(to: target)
            }
            if opened.remoteAddress != target {
                throw CheckFailure("a stream opened to \(target) names its remote end \(opened.remoteAddress)")
            }
            try await Waiting.until("\(target) accepted the stream", timeout: options.timeout) { incoming.count == 1 }
            let accepted = incoming.snapshot[0]
            do {
                try await body(opened, accepted, min(initiator.maxFrameSize, acceptor.maxFrameSize))
            } catch {
                await opened.close()
                await accepted.close()
                throw error
            }
            await opened.close()
            await accepted.close()
        }
    }

    /// Sends `frames` on `stream` while `peer` reads them, concurrently (so backpressure cannot
    /// deadlock), and checks they arrive whole and in order.
    private func exchange(
        _ frames: [[UInt8]], over stream: any TransportStream, to peer: any TransportStream, _ what: String
    ) async throws {
        let timeout = options.timeout
        let received = try await Waiting.bounded("exchanging \(frames.count) frames, \(what)", timeout: timeout) {
            try await withThrowingTaskGroup(of: [[UInt8]]?.self) { group in
                group.addTask {
                    for frame in frames { try await stream.send(frame: frame) }
                    return nil
                }
                group.addTask {
                    var iterator = peer.inboundFrames.makeAsyncIterator()
                    var received: [[UInt8]] = []
                    while received.count < frames.count, let frame = try await iterator.next() {
                        received.append(frame)
                    }
                    return received
                }
                var received: [[UInt8]] = []
                for try await result in group {
                    if let result { received = result }
                }
                return received
            }
        }
        guard received.count == frames.count else {
            throw CheckFailure("\(what): the stream ended after \(received.count) of \(frames.count) frames")
        }
        for (index, (sent, got)) in zip(frames, received).enumerated() where sent != got {
            throw CheckFailure(
                "\(what): frame \(index) (\(sent.count) bytes) arrived as \(got.count) different bytes"
                    + (got.count >= 4 ? " starting with \(got.prefix(4))" : ""))
        }
    }

    private static func numbered(_ number: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt32(number).bigEndian) { Array($0) }
    }
}
