import BCacheSecure
import BCacheTransport

/// What the secure wrapper adds per packet, without sockets: the time of `send` through a
/// ``BCacheSecure/SecureTransport`` over a ``ScriptedTransport`` less the time of `send` on
/// the scripted transport itself (sealing), and likewise for reading `incomingPackets`
/// (opening, with the wrapper's own stream hop).
///
/// Each figure is the median over `rounds` rounds of `count` packets of `size` bytes.
struct SealOpenCost {
    let count: Int
    let size: Int
    var rounds = 5

    struct Figures {
        var sealNanoseconds: Double
        var openNanoseconds: Double
        /// The size of one sealed packet: the measured path really sealed (nonce, tag, header).
        var sealedPacketBytes: Int
    }

    func measure() async throws -> Figures {
        let keyring = Keyring(primary: try SecretKey.generate())
        let packet = [UInt8](repeating: 0xC3, count: size)
        let peer = NodeAddress(host: "127.0.0.1", port: 10)
        var seal: [Double] = []
        var open: [Double] = []
        var sealedPacketBytes = 0
        for _ in 0..<rounds {
            let plain = ScriptedTransport()
            let plainSend = try await timed { for _ in 0..<count { try await plain.send(packet, to: peer) } }
            let capture = ScriptedTransport(keepsSent: true)
            let sealer = try SecureTransport(wrapping: capture, keyring: keyring)
            let secureSend = try await timed { for _ in 0..<count { try await sealer.send(packet, to: peer) } }
            seal.append((secureSend - plainSend) / Double(count))

            let sealed = capture.sent.map { IncomingPacket(bytes: $0, sender: peer) }
            sealedPacketBytes = capture.sent.first?.count ?? 0
            let clear = Array(repeating: IncomingPacket(bytes: packet, sender: peer), count: count)
            let plainReceiver = ScriptedTransport(incoming: clear)
            let plainRead = try await timed { try await Self.drain(plainReceiver.incomingPackets, expecting: count) }
            let opener = try SecureTransport(wrapping: ScriptedTransport(incoming: sealed), keyring: keyring)
            let secureRead = try await timed { try await Self.drain(opener.incomingPackets, expecting: count) }
            open.append((secureRead - plainRead) / Double(count))
        }
        return Figures(
            sealNanoseconds: Percentiles(seal).value(at: 0.5), openNanoseconds: Percentiles(open).value(at: 0.5),
            sealedPacketBytes: sealedPacketBytes)
    }

    /// A packet that did not arrive: the secure transport refused some (it never should here).
    struct MissingPackets: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads `expecting` packets from `packets`.
    private static func drain(_ packets: AsyncStream<IncomingPacket>, expecting: Int) async throws {
        var received = 0
        for await _ in packets {
            received += 1
            if received == expecting { return }
        }
        throw MissingPackets(description: "\(received) of \(expecting) packets arrived")
    }

    /// Nanoseconds `body` took.
    private func timed(_ body: () async throws -> Void) async throws -> Double {
        let started = ContinuousClock.now
        try await body()
        return (ContinuousClock.now - started).seconds * 1e9
    }
}
