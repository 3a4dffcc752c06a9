import BCache
import BCacheMembership
import BCacheTestKit
import BCacheTransport
import BCacheTransportTCP
import BCacheTransportUDPTCP
import Logging
import Testing

/// The Go library's scenario over real sockets on 127.0.0.1, port 0: UDP packets with TCP
/// streams, and TCP alone.
@Suite struct RealSocketScenarioTests {
    /// Which socket transport the nodes use.
    enum Sockets: String, CaseIterable, Sendable {
        case udpAndTCP, tcpOnly

        var provider: TransportProvider {
            switch self {
            case .udpAndTCP: .udpAndTCP()
            case .tcpOnly: .tcp()
            }
        }
    }

    func configuration(index: Int, seed: NodeAddress?, sockets: Sockets = .udpAndTCP) -> BCache.Configuration {
        var configuration = BCache.Configuration(transport: sockets.provider)
        configuration.network.listen = "127.0.0.1:0"
        configuration.network.seeds = seed.map { ["\($0)"] } ?? []
        configuration.nodeName = "udp-\(index)"
        configuration.clusterLabel = "loopback"
        configuration.membership = .singleMachine
        configuration.logger = Logger(label: "udp-\(index)", factory: { _ in SwiftLogNoOpLogHandler() })
        return configuration
    }

    @Test(arguments: Sockets.allCases)
    func threeNodesReplicateSetsUpdatesAndDeletes(over sockets: Sockets) async throws {
        var caches: [BCache] = []
        do {
            for index in 0..<3 {
                let cache = try await BCache(
                    configuration: configuration(index: index, seed: caches.first?.address, sockets: sockets))
                try await cache.start()
                caches.append(cache)
            }
            #expect(caches[0].address.port != 0)
            let keys = (0..<50).map { "key-\($0)" }
            for key in keys { try caches[0].set(key, "v1 \(key)", ttl: .seconds(3600)) }
            try await eventually("50 keys on nodes 2 and 3") {
                caches[1...].allSatisfy { cache in keys.allSatisfy { cache.getString($0) == "v1 \($0)" } }
            }
            for key in keys { try caches[1].set(key, "v2 \(key)", ttl: .seconds(3600)) }
            try await eventually("updates on nodes 1 and 3") {
                [caches[0], caches[2]].allSatisfy { cache in keys.allSatisfy { cache.getString($0) == "v2 \($0)" } }
            }
            for key in keys { caches[0].delete(key) }
            try await eventually("deletes everywhere") { caches.allSatisfy { $0.count == 0 } }
        } catch {
            for cache in caches { await cache.shutdown() }
            throw error
        }
        for cache in caches { await cache.shutdown() }
    }

    @Test(arguments: [8, 0])
    func writesOnAnIdleNodeAreSentByTheWriter(immediateSendLimit: Int) async throws {
        var caches: [BCache] = []
        do {
            for index in 0..<2 {
                var configuration = configuration(index: index, seed: caches.first?.address)
                configuration.replication.immediateSendLimit = immediateSendLimit
                let cache = try await BCache(configuration: configuration)
                try await cache.start()
                caches.append(cache)
            }
            try await eventually("each node sees the other") {
                caches.allSatisfy { cache in cache.members.filter { $0.status.isReachable }.count == 2 }
            }
            // One write at a time, each awaited on the peer: the writer finds nothing pending
            // and nothing in flight (unless the join's catch-up is still sending).
            for index in 0..<20 {
                try caches[0].set("idle-\(index)", "v\(index)")
                try await eventually("idle-\(index) on the peer") {
                    caches[1].getString("idle-\(index)") == "v\(index)"
                }
            }
            let statistics = caches[0].statistics
            let immediate = statistics.deltasSentImmediately
            // Every write went one way exactly: sent by its writer, or queued for the flush loop.
            #expect(immediate + statistics.deltasQueued + statistics.deltasLeftToSync == 20)
            if immediateSendLimit > 0 {
                #expect(immediate >= 10, "\(immediate) of 20 writes sent by the writer")
            } else {
                #expect(immediate == 0)
            }
        } catch {
            for cache in caches { await cache.shutdown() }
            throw error
        }
        for cache in caches { await cache.shutdown() }
    }

    @Test func aPortInUseIsATransportError() async throws {
        let first = try await BCache(configuration: configuration(index: 0, seed: nil))
        var second = configuration(index: 1, seed: nil)
        second.network.listen = "\(first.address)"
        let error = await #expect(throws: BCacheError.self) { try await BCache(configuration: second) }
        #expect(error?.code == .transportFailed)
        await first.shutdown()
    }
}
