import BCacheTransport
import Synchronization

/// The cases about packets.
extension TransportConformance {
    func packetsArriveIntact() async throws {
        try await withTransports(2) { transports in
            let (sender, receiver) = (transports[0], transports[1])
            let received = collectPackets(receiver)
            defer { received.stop() }
            let maxSize = min(sender.maxPacketSize, receiver.maxPacketSize)
            var random = RandomBytes()
            let sizes = Set([1, 2, 17, 100, 512, 1000, maxSize - 1, maxSize].filter { $0 >= 1 && $0 <= maxSize })
            // Each payload starts with its index so that no two are equal, even of size 1.
            let payloads = sizes.sorted().enumerated().flatMap { index, size in
                (0..<3).map { copy in [UInt8(truncatingIfNeeded: index * 3 + copy)] + random.make(size - 1) }
            }
            try await deliver(payloads, from: sender, to: receiver, received: received)
            for packet in received.snapshot where packet.sender != sender.localAddress {
                throw CheckFailure("a packet from \(sender.localAddress) names its sender as \(packet.sender)")
            }
        }
    }

    func immediateSendsArriveOrAreDeclined() async throws {
        try await withTransports(2) { transports in
            let (sender, receiver) = (transports[0], transports[1])
            let received = collectPackets(receiver)
            defer { received.stop() }
            let target = receiver.localAddress
            guard sender.sendsImmediately else {
                if sender.sendImmediately([1], to: target) {
                    throw CheckFailure("sendImmediately sent a packet although sendsImmediately is false")
                }
                return
            }
            if sender.sendImmediately([UInt8](repeating: 0xAB, count: sender.maxPacketSize + 1), to: target) {
                throw CheckFailure("sendImmediately took a packet over maxPacketSize")
            }
            var random = RandomBytes()
            let payloads = (0..<20).map { index in [0xC0, UInt8(index)] + random.make(40) }
            let sentAtOnce = Atomic(0)
            // A packet declined goes by `send`, as callers of `sendImmediately` do.
            try await deliver(payloads, from: sender, to: receiver, received: received) { sender, payload, target in
                if sender.sendImmediately(payload, to: target) {
                    sentAtOnce.add(1, ordering: .relaxed)
                } else {
                    try await sender.send(payload, to: target)
                }
            }
            if sentAtOnce.load(ordering: .relaxed) == 0 {
                throw CheckFailure("an idle transport that sends immediately declined all of 20 small packets")
            }
            for packet in received.snapshot where packet.sender != sender.localAddress {
                throw CheckFailure(
                    "a packet sent at once from \(sender.localAddress) names its sender as \(packet.sender)")
            }
        }
    }

    func oversizedPacketIsRefused() async throws {
        try await withTransports(2) { transports in
            let (sender, receiver) = (transports[0], transports[1])
            let received = collectPackets(receiver)
            defer { received.stop() }
            let oversized = [UInt8](repeating: 0xAB, count: sender.maxPacketSize + 1)
            let target = receiver.localAddress
            try await expectError(.packetTooLarge, "sending \(oversized.count) bytes (max \(sender.maxPacketSize))") {
                try await sender.send(oversized, to: target)
            }
            // The transport still works, and the refused packet never arrives.
            try await deliver([[1, 2, 3]], from: sender, to: receiver, received: received)
            if received.snapshot.contains(where: { $0.bytes.count > sender.maxPacketSize }) {
                throw CheckFailure("the refused oversized packet was delivered")
            }
        }
    }

    func sendingToAbsentListenerFailsCleanly() async throws {
        try await withTransports(2) { transports in
            let (sender, receiver) = (transports[0], transports[1])
            let received = collectPackets(receiver)
            defer { received.stop() }
            // An address that was just in use and is now free: nobody listens there.
            let absent = try await makeTransport()
            let absentAddress = absent.localAddress
            await absent.close()

            do {
                try await Waiting.bounded("sending a packet to \(absentAddress)", timeout: options.timeout) {
                    try await sender.send([9, 9, 9], to: absentAddress)
                }
            } catch let error as TransportError where error.code == .unreachable {
                // Refusing at once is clean too.
            }
            if options.supportsStreams {
                try await expectError(.unreachable, "opening a stream to \(absentAddress), where nobody listens") {
                    _ = try await sender.openStream(to: absentAddress)
                }
            }
            // Nothing broke: the sender still reaches a listener, which never saw the lost packet.
            try await deliver([[4, 5, 6]], from: sender, to: receiver, received: received)
            if received.snapshot.contains(where: { $0.bytes == [9, 9, 9] }) {
                throw CheckFailure("the packet sent to \(absentAddress) arrived at \(receiver.localAddress)")
            }
        }
    }

    func concurrentSendersAllArrive() async throws {
        let tasks = 8
        let packetsPerTask = 200
        try await withTransports(2) { transports in
            let (sender, receiver) = (transports[0], transports[1])
            let received = collectPackets(receiver)
            defer { received.stop() }
            let target = receiver.localAddress
            try await Waiting.bounded("\(tasks) tasks send \(packetsPerTask) packets each", timeout: options.timeout) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for task in 0..<tasks {
                        group.addTask {
                            for sequence in 0..<packetsPerTask {
                                try await sender.send(Self.numberedPacket(task: task, sequence: sequence), to: target)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            let total = tasks * packetsPerTask
            let required =
                options.reliablePackets ? total : Int((Double(total) * (1 - options.tolerableLossRate)).rounded(.up))
            do {
                try await Waiting.until("\(required) of \(total) packets arrived", timeout: options.timeout) {
                    Set(received.snapshot.map(\.bytes)).count >= required
                }
            } catch let failure as CheckFailure {
                let arrived = Set(received.snapshot.map(\.bytes)).count
                throw CheckFailure(
                    "only \(arrived) distinct packets of \(total) arrived, \(required) required; \(failure)")
            }
            let packets = received.snapshot
            let expected = Set(
                (0..<tasks).flatMap { task in
                    (0..<packetsPerTask).map { Self.numberedPacket(task: task, sequence: $0) }
                })
            if let stranger = packets.first(where: { !expected.contains($0.bytes) }) {
                throw CheckFailure("a packet arrived that was never sent (corrupted?): \(stranger.bytes)")
            }
            if options.reliablePackets, packets.count != Set(packets.map(\.bytes)).count {
                throw CheckFailure("reliable packets arrived more than once: \(packets.count) for \(total) sent")
            }
        }
    }

    private static func numberedPacket(task: Int, sequence: Int) -> [UInt8] {
        [0xC0, UInt8(task), UInt8(sequence >> 8), UInt8(sequence & 0xFF)] + [UInt8](repeating: UInt8(task), count: 28)
    }

    /// Sends `payloads` and waits until each has arrived intact; when packets are unreliable,
    /// resends those still missing a few times before failing. A packet that was never sent
    /// (a corrupted one) fails the case at once.
    func deliver(
        _ payloads: [[UInt8]], from sender: any Transport, to receiver: any Transport,
        received: Collector<IncomingPacket>,
        sending send: (any Transport, [UInt8], NodeAddress) async throws -> Void = { try await $0.send($1, to: $2) }
    ) async throws {
        let attempts = options.reliablePackets ? 1 : 5
        let target = receiver.localAddress
        let sent = Set(payloads)
        func stranger() -> IncomingPacket? { received.snapshot.first { !sent.contains($0.bytes) } }
        var missing = payloads
        for attempt in 1...attempts {
            for payload in missing { try await send(sender, payload, target) }
            let wait = attempt == attempts ? options.timeout : options.timeout / attempts
            let expected = missing
            do {
                try await Waiting.until("\(expected.count) packets arrived", timeout: wait) {
                    let arrived = Set(received.snapshot.map(\.bytes))
                    return expected.allSatisfy { arrived.contains($0) } || stranger() != nil
                }
            } catch let failure as CheckFailure {
                let arrived = Set(received.snapshot.map(\.bytes))
                missing = expected.filter { !arrived.contains($0) }
                if attempt == attempts {
                    throw CheckFailure(
                        "\(missing.count) of \(payloads.count) packets never arrived (sizes \(missing.map(\.count))); \(failure)"
                    )
                }
                continue
            }
            break
        }
        if let stranger = stranger() {
            throw CheckFailure("a packet of \(stranger.bytes.count) bytes arrived that was never sent (corrupted?)")
        }
    }
}
