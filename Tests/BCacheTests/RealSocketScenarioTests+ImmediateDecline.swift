import BCache
import BCacheTestKit
import BCacheTransport
import BCacheTransportUDPTCP
import Synchronization
import Testing

/// A write that some peers take at once from the writer and others decline reaches the
/// decliners through the flush loop, and the others only once.
extension RealSocketScenarioTests {
    /// A real UDP and TCP transport whose immediate sends to the addresses in `declined` are
    /// declined, as the UDP transport declines a name it has not resolved or an address of
    /// another family.
    final class DecliningTransport: Transport {
        let inner: UDPTCPTransport
        let declined = Mutex<Set<NodeAddress>>([])

        init(_ inner: UDPTCPTransport) { self.inner = inner }

        var localAddress: NodeAddress { inner.localAddress }
        var maxPacketSize: Int { inner.maxPacketSize }
        var maxFrameSize: Int { inner.maxFrameSize }
        var sendsImmediately: Bool { inner.sendsImmediately }
        var incomingPackets: AsyncStream<IncomingPacket> { inner.incomingPackets }
        var incomingStreams: AsyncStream<any TransportStream> { inner.incomingStreams }
        var packetExecutor: (any TaskExecutor)? { inner.packetExecutor }

        func send(_ packet: [UInt8], to address: NodeAddress) async throws {
            try await inner.send(packet, to: address)
        }

        func sendImmediately(_ packet: [UInt8], to address: NodeAddress) -> Bool {
            guard !declined.withLock({ $0.contains(address) }) else { return false }
            return inner.sendImmediately(packet, to: address)
        }

        func openStream(to address: NodeAddress) async throws -> any TransportStream {
            try await inner.openStream(to: address)
        }

        func close() async { await inner.close() }
    }

    @Test func aPeerThatDeclinesGetsTheWriteAndThePeerThatTookItGetsItOnce() async throws {
        let transport = DecliningTransport(
            try await UDPTCPTransport.bind(configuration: .init(host: "127.0.0.1", port: 0)))
        var caches: [BCache] = []
        do {
            var writer = configuration(index: 0, seed: nil)
            writer.transport = .custom(transport)
            caches.append(try await BCache(configuration: writer))
            try await caches[0].start()
            for index in 1...2 {
                let cache = try await BCache(configuration: configuration(index: index, seed: caches[0].address))
                try await cache.start()
                caches.append(cache)
            }
            try await eventually("every node sees the others") {
                caches.allSatisfy { cache in cache.members.filter { $0.status.isReachable }.count == 3 }
            }
            transport.declined.withLock { $0 = [caches[2].address] }
            let receivedBefore = caches[1].statistics.directPacketsReceived
            // One write at a time, each awaited on both peers: the writer finds nothing pending.
            for index in 0..<20 {
                try caches[0].set("partial-\(index)", "v\(index)")
                try await eventually("partial-\(index) on both peers") {
                    caches[1...].allSatisfy { $0.getString("partial-\(index)") == "v\(index)" }
                }
            }
            let statistics = caches[0].statistics
            // None reached every peer at once; each was queued once, for the decliner alone.
            #expect(statistics.deltasSentImmediately == 0)
            #expect(statistics.deltasQueued == 20)
            #expect(statistics.directPacketsSent >= 40)
            // The peer that took each write at once got no second copy from the flush loop.
            #expect(caches[1].statistics.directPacketsReceived - receivedBefore == 20)
        } catch {
            for cache in caches { await cache.shutdown() }
            throw error
        }
        for cache in caches { await cache.shutdown() }
    }
}
