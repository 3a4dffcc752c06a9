import BCache
import BCacheMembership
import BCacheTransport
import Logging
import Testing

/// Every setting of ``BCache/Configuration``, set to 0, a negative and the extreme values of its
/// type: making the cache either throws `invalidConfiguration` naming the setting, or succeeds,
/// and then a lone node starts, stores and reads a key, and shuts down. Never a trap.
///
/// The list of settings is checked against the configuration's own fields by reflection, so a
/// setting added without a line here fails ``everySettingIsSwept()``.
@Suite struct ConfigurationSweepTests {
    /// One setting and the values it is tried with.
    struct Sweep: CustomStringConvertible, Sendable {
        let path: String
        let apply: @Sendable (inout BCache.Configuration, Int) -> Void
        let valueCount: Int
        let describe: @Sendable (Int) -> String
        var description: String { path }
    }

    static let ints = [0, -1, Int.min, Int.max]
    static let durations: [Duration] = [.zero, .seconds(-1), .seconds(Int64.min), .seconds(Int64.max)]

    typealias Setter<Value> = @Sendable (inout BCache.Configuration, Value) -> Void

    static func values<Value: Sendable>(_ path: String, _ values: [Value], _ set: @escaping Setter<Value>) -> Sweep {
        Sweep(
            path: path, apply: { set(&$0, values[$1]) }, valueCount: values.count, describe: { "\(values[$0])" })
    }

    static func int(_ path: String, _ set: @escaping Setter<Int>) -> Sweep { values(path, ints, set) }

    static func duration(_ path: String, _ set: @escaping Setter<Duration>) -> Sweep { values(path, durations, set) }

    static func optionalDuration(_ path: String, _ set: @escaping Setter<Duration?>) -> Sweep {
        values(path, durations.map { Optional($0) }, set)
    }

    static let long = String(repeating: "n", count: 256)

    /// Every setting that holds a value (the transport, logger, metrics factory and clocks are
    /// objects, in ``notValues``).
    static let sweeps: [Sweep] = [
        values("nodeName", ["", long, String(long.dropFirst())]) { $0.nodeName = $1 },
        values("clusterLabel", [long, String(long.dropFirst())]) { $0.clusterLabel = $1 },
        values("membershipRandomSeed", [UInt64.zero, UInt64.max]) { $0.membershipRandomSeed = $1 },
        values("network.listen", ["", "10.0.0.1", "10.0.0.1:99999", "0.0.0.0:7946", "[::]:0"]) {
            $0.network.listen = $1
        },
        values("network.advertise", ["", "x", "\(long):1", "10.0.0.9:0"]) { $0.network.advertise = $1 },
        values("network.seeds", [[""], ["10.0.0.1:7946"], ["not a seed"]]) { $0.network.seeds = $1 },
        duration("network.joinTimeout") { $0.network.joinTimeout = $1 },
        int("store.maxKeys") { $0.store.maxKeys = $1 },
        int("store.maxBytes") { $0.store.maxBytes = $1 },
        int("store.maxValueBytes") { $0.store.maxValueBytes = $1 },
        duration("store.deletionDelay") { $0.store.deletionDelay = $1 },
        duration("store.sweepInterval") { $0.store.sweepInterval = $1 },
        duration("replication.flushDelay") { $0.replication.flushDelay = $1 },
        int("replication.directLimit") { $0.replication.directLimit = $1 },
        int("replication.immediateSendLimit") { $0.replication.immediateSendLimit = $1 },
        int("replication.maxPendingBytes") { $0.replication.maxPendingBytes = $1 },
        int("replication.maxSyncFrameBytes") { $0.replication.maxSyncFrameBytes = $1 },
        duration("replication.syncTimeout") { $0.replication.syncTimeout = $1 },
        values("replication.catchUp.isEnabled", [false, true]) { $0.replication.catchUp.isEnabled = $1 },
        int("replication.catchUp.logMaxBytes") { $0.replication.catchUp.logMaxBytes = $1 },
        duration("replication.catchUp.logMaxAge") { $0.replication.catchUp.logMaxAge = $1 },
        optionalDuration("replication.catchUp.replayWindow") { $0.replication.catchUp.replayWindow = $1 },
        optionalDuration("replication.catchUp.comebackMargin") { $0.replication.catchUp.comebackMargin = $1 },
        duration("replication.catchUp.memberCooldown") { $0.replication.catchUp.memberCooldown = $1 },
        duration("replication.catchUp.exchangeSpacing") { $0.replication.catchUp.exchangeSpacing = $1 },
        int("replication.catchUp.maxQueuedExchanges") { $0.replication.catchUp.maxQueuedExchanges = $1 },
        duration("replication.catchUp.newMemberExchangeDelay") { $0.replication.catchUp.newMemberExchangeDelay = $1 },
        duration("replication.catchUp.settleQuietPeriod") { $0.replication.catchUp.settleQuietPeriod = $1 },
        duration("replication.catchUp.settleMaxDelay") { $0.replication.catchUp.settleMaxDelay = $1 },
        values("replication.ownerFill.isEnabled", [false, true]) { $0.replication.ownerFill.isEnabled = $1 },
        duration("replication.ownerFill.answerTimeout") { $0.replication.ownerFill.answerTimeout = $1 },
        duration("membership.probeInterval") { $0.membership.probeInterval = $1 },
        duration("membership.probeTimeout") { $0.membership.probeTimeout = $1 },
        int("membership.indirectChecks") { $0.membership.indirectChecks = $1 },
        values("membership.retriesDirectPing", [false]) { $0.membership.retriesDirectPing = $1 },
        int("membership.suspicionMultiplier") { $0.membership.suspicionMultiplier = $1 },
        int("membership.suspicionMaxTimeoutMultiplier") { $0.membership.suspicionMaxTimeoutMultiplier = $1 },
        int("membership.retransmitMultiplier") { $0.membership.retransmitMultiplier = $1 },
        duration("membership.gossipInterval") { $0.membership.gossipInterval = $1 },
        int("membership.gossipNodes") { $0.membership.gossipNodes = $1 },
        duration("membership.gossipToTheDeadTime") { $0.membership.gossipToTheDeadTime = $1 },
        duration("membership.pushPullInterval") { $0.membership.pushPullInterval = $1 },
        duration("membership.reconnectInterval") { $0.membership.reconnectInterval = $1 },
        duration("membership.reconnectTimeout") { $0.membership.reconnectTimeout = $1 },
        duration("membership.deadMemberReapTimeout") { $0.membership.deadMemberReapTimeout = $1 },
        duration("membership.joinRetryInterval") { $0.membership.joinRetryInterval = $1 },
        duration("membership.joinRetryMaxInterval") { $0.membership.joinRetryMaxInterval = $1 },
        int("membership.joinMaxAttempts") { $0.membership.joinMaxAttempts = $1 },
        duration("membership.joinSettleDelay") { $0.membership.joinSettleDelay = $1 },
        int("membership.joinSettleRounds") { $0.membership.joinSettleRounds = $1 },
        duration("membership.leaveTimeout") { $0.membership.leaveTimeout = $1 },
        int("membership.maxPacketSize") { $0.membership.maxPacketSize = $1 },
        int("membership.userPayloadSharePercent") { $0.membership.userPayloadSharePercent = $1 },
        int("membership.userPayloadRetransmitMultiplier") { $0.membership.userPayloadRetransmitMultiplier = $1 },
        int("membership.userPayloadQueueLimit") { $0.membership.userPayloadQueueLimit = $1 },
        int("membership.lifeguard.maxLocalHealthMultiplier") { $0.membership.lifeguard.maxLocalHealthMultiplier = $1 },
        values("membership.lifeguard.isBuddySystemEnabled", [false]) {
            $0.membership.lifeguard.isBuddySystemEnabled = $1
        },
    ]

    /// Fields that are objects or hooks, not values to range-check (`flushLoopTestDelay` is a
    /// package-level test hook, a real-time pause of the flush loop, not a user's setting).
    static let notValues: Set<String> = [
        "transport", "logger", "metricsFactory", "wallClock", "clock", "flushLoopTestDelay",
    ]

    /// The configuration's fields by path, found by reflection: a struct field whose type is one
    /// of the configuration's own groups is walked into.
    static func reflectedPaths(of value: Any, prefix: String = "") -> [String] {
        Mirror(reflecting: value).children.flatMap { child -> [String] in
            guard let label = child.label else { return [] }
            let path = prefix + label
            let isGroup =
                child.value is BCache.Configuration.Network || child.value is BCache.Configuration.Store
                || child.value is BCache.Configuration.Replication || child.value is BCache.CatchUp
                || child.value is BCache.OwnerFill
                || child.value is Membership.Settings || child.value is Membership.Settings.Lifeguard
            return isGroup ? reflectedPaths(of: child.value, prefix: path + ".") : [path]
        }
    }

    static func base() -> BCache.Configuration {
        var configuration = BCache.Configuration(transport: .inMemory(InMemoryNetwork(seed: 7, clock: .real)))
        configuration.network.listen = "10.0.0.1:7946"
        configuration.nodeName = "sweep"
        configuration.logger = Logger(label: "sweep", factory: { _ in SwiftLogNoOpLogHandler() })
        return configuration
    }

    @Test func everySettingIsSwept() {
        let reflected = Set(Self.reflectedPaths(of: Self.base()))
        let listed = Set(Self.sweeps.map(\.path)).union(Self.notValues)
        #expect(reflected.subtracting(listed).isEmpty, "settings missing from the sweep")
        #expect(listed.subtracting(reflected).isEmpty, "swept paths that are not settings")
    }

    @Test(arguments: sweeps)
    func everyValueIsRefusedByNameOrWorks(_ sweep: Sweep) async throws {
        for index in 0..<sweep.valueCount {
            var configuration = Self.base()
            sweep.apply(&configuration, index)
            let value = sweep.describe(index)
            let cache: BCache
            do {
                cache = try await BCache(configuration: configuration)
            } catch {
                #expect(error.code == .invalidConfiguration, "\(sweep.path) = \(value): \(error)")
                let name = sweep.path.split(separator: ".").last.map(String.init) ?? sweep.path
                #expect(error.message.contains(name), "\(sweep.path) = \(value): \(error.message)")
                continue
            }
            // Accepted: a lone node must work with it.
            try await cache.start()
            let stored = String(repeating: "v", count: min(5, configuration.store.maxValueBytes))
            try cache.set("key", stored, ttl: .seconds(60))
            #expect(cache.getString("key") == stored, "\(sweep.path) = \(value)")
            #expect(cache.members.count == 1, "\(sweep.path) = \(value)")
            await cache.shutdown()
        }
    }
}
