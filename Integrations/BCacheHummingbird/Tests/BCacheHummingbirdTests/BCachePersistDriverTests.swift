import BCache
import BCacheHummingbird
import BCacheTestKit
import Hummingbird
import Testing

/// The behaviour Hummingbird's own tests ask of its memory driver (`PersistTests`), on a BCache
/// node in simulated time: expiry is tested by moving the cluster's clock, not by sleeping.
@Suite struct BCachePersistDriverTests {
    struct Profile: Codable, Equatable, Sendable {
        var name: String
        var visits: Int
    }

    @Test func aValueSetIsReadBackAndASecondSetReplacesIt() async throws {
        try await withInMemoryCluster(nodes: 1) { cluster in
            let persist = BCachePersistDriver(cache: cluster[0])
            try await persist.set(key: "greeting", value: "hello")
            #expect(try await persist.get(key: "greeting", as: String.self) == "hello")
            try await persist.set(key: "greeting", value: "hello again")
            #expect(try await persist.get(key: "greeting", as: String.self) == "hello again")
            #expect(try await persist.get(key: "absent", as: String.self) == nil)
        }
    }

    @Test func aCodableValueRoundTrips() async throws {
        try await withInMemoryCluster(nodes: 1) { cluster in
            let persist = BCachePersistDriver(cache: cluster[0])
            let profile = Profile(name: "Ada", visits: 3)
            try await persist.set(key: "profile", value: profile)
            #expect(try await persist.get(key: "profile", as: Profile.self) == profile)
            // The cache's own typed accessor reads what the driver wrote.
            #expect(try cluster[0].get("profile", as: Profile.self) == profile)
        }
    }

    @Test func createRefusesAKeyThisNodeHolds() async throws {
        try await withInMemoryCluster(nodes: 1) { cluster in
            let persist = BCachePersistDriver(cache: cluster[0])
            try await persist.create(key: "once", value: "first")
            await #expect(throws: PersistError.duplicate) {
                try await persist.create(key: "once", value: "second")
            }
            #expect(try await persist.get(key: "once", as: String.self) == "first")
        }
    }

    @Test func readingAsAnotherTypeIsAnInvalidConversion() async throws {
        try await withInMemoryCluster(nodes: 1) { cluster in
            let persist = BCachePersistDriver(cache: cluster[0])
            try await persist.set(key: "profile", value: Profile(name: "Ada", visits: 3))
            await #expect(throws: PersistError.invalidConversion) {
                _ = try await persist.get(key: "profile", as: Int.self)
            }
        }
    }

    @Test func removeDeletesTheKey() async throws {
        try await withInMemoryCluster(nodes: 1) { cluster in
            let persist = BCachePersistDriver(cache: cluster[0])
            try await persist.set(key: "gone", value: "soon")
            try await persist.remove(key: "gone")
            #expect(try await persist.get(key: "gone", as: String.self) == nil)
        }
    }

    @Test func aValueExpiresAndTheKeyCanBeWrittenAgain() async throws {
        try await withInMemoryCluster(nodes: 1) { cluster in
            let time = try #require(cluster.simulatedTime)
            let persist = BCachePersistDriver(cache: cluster[0])
            try await persist.set(key: "short", value: "lived", expires: .seconds(1))
            try await persist.set(key: "long", value: "lived", expires: .seconds(10))
            try await persist.set(key: "none", value: "at all", expires: .zero)
            #expect(try await persist.get(key: "none", as: String.self) == nil)
            try await time.advance(by: .seconds(2))
            #expect(try await persist.get(key: "short", as: String.self) == nil)
            #expect(try await persist.get(key: "long", as: String.self) == "lived")
            try await persist.create(key: "short", value: "again", expires: .seconds(10))
            #expect(try await persist.get(key: "short", as: String.self) == "again")
        }
    }

    @Test func getWithTTLReportsTheRemainingTime() async throws {
        try await withInMemoryCluster(nodes: 1) { cluster in
            let time = try #require(cluster.simulatedTime)
            let persist = BCachePersistDriver(cache: cluster[0])
            try await persist.set(key: "timed", value: "value", expires: .seconds(10))
            try await persist.set(key: "forever", value: "value")
            try await time.advance(by: .seconds(3))
            let timed = try #require(try await persist.getWithTTL(key: "timed", as: String.self))
            #expect(timed.object == "value")
            let ttl = try #require(timed.ttl)
            #expect(ttl <= .seconds(7) && ttl > .seconds(6))
            let forever = try #require(try await persist.getWithTTL(key: "forever", as: String.self))
            #expect(forever.ttl == nil)
            #expect(try await persist.getWithTTL(key: "absent", as: String.self) == nil)
        }
    }

    /// The protocol's rule: a set without an expiry keeps the one the key has.
    @Test func aSetWithoutExpiryKeepsThePresentOne() async throws {
        try await withInMemoryCluster(nodes: 1) { cluster in
            let time = try #require(cluster.simulatedTime)
            let persist = BCachePersistDriver(cache: cluster[0])
            try await persist.set(key: "session", value: "v1", expires: .seconds(10))
            try await persist.set(key: "session", value: "v2")
            let ttl = try #require(try await persist.getWithTTL(key: "session", as: String.self)?.ttl)
            #expect(ttl <= .seconds(10) && ttl > .seconds(9))
            try await time.advance(by: .seconds(11))
            #expect(try await persist.get(key: "session", as: String.self) == nil)
        }
    }

    /// What the driver is for: a value written through one instance is read through another.
    @Test func aValueWrittenOnOneNodeIsReadOnTheOthers() async throws {
        try await withInMemoryCluster(nodes: 3, seed: 31) { cluster in
            let drivers = cluster.caches.map { BCachePersistDriver(cache: $0) }
            try await drivers[0].set(key: "shared", value: Profile(name: "Grace", visits: 1), expires: .seconds(60))
            try await cluster.eventually("the value on nodes 1 and 2") {
                cluster.caches[1...].allSatisfy { $0.contains("shared") }
            }
            for driver in drivers[1...] {
                #expect(try await driver.get(key: "shared", as: Profile.self) == Profile(name: "Grace", visits: 1))
            }
            try await drivers[2].remove(key: "shared")
            try await cluster.eventually("the removal on node 0") { !cluster[0].contains("shared") }
        }
    }
}
