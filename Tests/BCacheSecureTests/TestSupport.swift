import BCacheBase
import BCacheTransport
import BCacheTransportTestKit
import Synchronization
import Testing

@testable import BCacheSecure

/// Reads an async sequence in the background into a list that tests poll.
///
/// The reading task holds the list, not the sink, and the sink cancels it when it goes away: a
/// sink on a stream the test never closes ends with the test instead of leaving its task
/// suspended to the end of the process (which LeakSanitizer reports).
final class Sink<Element: Sendable>: Sendable {
    private final class Received: Sendable {
        let items = Mutex<[Element]>([])
        let finished = Atomic(false)
    }

    private let received = Received()
    private let reader: Task<Void, Never>

    init<S: AsyncSequence & Sendable>(_ sequence: S) where S.Element == Element {
        let received = received
        reader = Task {
            do {
                for try await element in sequence { received.items.withLock { $0.append(element) } }
            } catch {}
            received.finished.store(true, ordering: .releasing)
        }
    }

    deinit {
        reader.cancel()
    }

    var snapshot: [Element] { received.items.withLock { $0 } }
    var count: Int { received.items.withLock { $0.count } }
    var hasFinished: Bool { received.finished.load(ordering: .acquiring) }

    func stop() { reader.cancel() }
}

/// Fixed test keys: 32 bytes `seed, seed+1, …`.
func testKey(_ seed: UInt8) -> SecretKey {
    try! SecretKey(bytes: (0..<32).map { seed &+ UInt8($0) })
}

/// A cluster of secure transports on one in-memory network, plus helpers to speak raw bytes to
/// them as an attacker would.
struct SecureCluster {
    let network: InMemoryNetwork
    let clock: ManualWallClock

    init(seed: UInt64 = 0x5EC, clock: ManualWallClock = ManualWallClock()) {
        self.network = InMemoryNetwork(seed: seed, clock: .manual)
        self.clock = clock
    }

    func configuration(label: String = "test", migration: SecureTransport.Migration = .encrypted)
        -> SecureTransport.Configuration
    {
        SecureTransport.Configuration(
            clusterLabel: label, migration: migration, maxMessageAge: .seconds(30), maxClockSkew: .seconds(5),
            clock: clock.wallClock)
    }

    func node(
        _ host: String, keyring: Keyring, label: String = "test", migration: SecureTransport.Migration = .encrypted,
        nonce: NonceSource = .random
    ) throws -> SecureTransport {
        let inner = try network.makeTransport(address: NodeAddress(host: host, port: 7946))
        return try SecureTransport(
            wrapping: inner, keyring: keyring, configuration: configuration(label: label, migration: migration),
            nonce: nonce)
    }

    func raw(_ host: String) throws -> InMemoryTransport {
        try network.makeTransport(address: NodeAddress(host: host, port: 7946))
    }
}

/// Sends `packet` from `sender` and returns the bytes that reach the raw transport `sniffer`.
func capture(_ packet: [UInt8], from sender: SecureTransport, via sniffer: InMemoryTransport) async throws -> [UInt8] {
    var iterator = sniffer.incomingPackets.makeAsyncIterator()
    try await sender.send(packet, to: sniffer.localAddress)
    return try #require(await iterator.next()).bytes
}

/// A secure receiver with a sink on its packets, a legitimate secure sender and a raw attacker.
struct Bench {
    let cluster: SecureCluster
    let receiver: SecureTransport
    let sender: SecureTransport
    let attacker: InMemoryTransport
    let sniffer: InMemoryTransport
    let received: Sink<IncomingPacket>

    init(label: String = "test", clock: ManualWallClock = ManualWallClock()) throws {
        cluster = SecureCluster(clock: clock)
        let keyring = Keyring(primary: testKey(7))
        receiver = try cluster.node("10.0.0.1", keyring: keyring, label: label)
        sender = try cluster.node("10.0.0.2", keyring: keyring, label: label)
        attacker = try cluster.raw("10.0.0.66")
        sniffer = try cluster.raw("10.0.0.99")
        received = Sink(receiver.incomingPackets)
    }

    /// A genuine packet sealed by `sender`, captured on the wire.
    func sealed(_ payload: [UInt8]) async throws -> [UInt8] {
        try await capture(payload, from: sender, via: sniffer)
    }

    /// Sends `packets` raw from the attacker, then a genuine marker packet from the sender, and
    /// waits for the marker: every attacker packet has then been judged.
    func inject(_ packets: [[UInt8]]) async throws {
        // Count markers, not deliveries: an injected packet that is accepted arrives first and
        // must not be mistaken for the marker, or the statistics would be read too early.
        let marker = Array("marker".utf8)
        let markersBefore = received.snapshot.filter { $0.bytes == marker }.count
        for packet in packets { try await attacker.send(packet, to: receiver.localAddress) }
        try await sender.send(marker, to: receiver.localAddress)
        try await eventually("the marker arrived") {
            received.snapshot.filter { $0.bytes == marker }.count > markersBefore
        }
    }

    /// Whether anything but marker packets was delivered.
    var deliveredOnlyMarkers: Bool {
        received.snapshot.allSatisfy { $0.bytes == Array("marker".utf8) }
    }
}
