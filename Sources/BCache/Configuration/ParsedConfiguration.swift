import BCacheCore
import BCacheMembership
import BCacheTransport

/// A ``BCache/Configuration`` checked and parsed: what ``BCache/init(configuration:)`` builds
/// from.
///
/// Every setting is checked here, before anything is bound, and a value out of range is a
/// ``BCacheError`` with code ``BCacheError/Code/invalidConfiguration`` naming the setting (by its
/// path, as `store.maxKeys`) and the range: never a trap. Sums and products of settings saturate
/// instead of overflowing, and the waits that "unlimited" durations (`.seconds(Int64.max)`) make
/// are clamped by the clocks (``Membership/ContinuousDriverClock``).
struct ParsedConfiguration: Sendable {
    var listen: NodeAddress
    var advertise: NodeAddress?
    var seeds: [NodeAddress]
    var nodeName: String
    var store: StoreConfiguration
    /// The catch-up planner's settings, automatic windows resolved.
    var catchUp: CatchUpPlanner.Settings

    /// The most bytes a member name, a cluster label or a host may have (the membership's limit).
    static let maxNameBytes = 255

    init(_ configuration: BCache.Configuration) throws(BCacheError) {
        let network = configuration.network
        listen = try Self.parse(network.listen, setting: "network.listen")
        advertise = try network.advertise.map { text throws(BCacheError) in
            try Self.parse(text, setting: "network.advertise")
        }
        var seeds: [NodeAddress] = []
        for (index, seed) in network.seeds.enumerated() {
            seeds.append(try Self.parse(seed, setting: "network.seeds[\(index)]"))
        }
        self.seeds = seeds
        try Self.require(
            network.joinTimeout > .zero, "network.joinTimeout is \(network.joinTimeout); it must be positive")
        nodeName = configuration.nodeName ?? "bcache-" + String(NodeID.random().rawValue, radix: 16)
        try Self.require(
            !nodeName.isEmpty && nodeName.utf8.count <= Self.maxNameBytes,
            "nodeName has \(nodeName.utf8.count) UTF-8 bytes; it must have 1 to \(Self.maxNameBytes)")
        try Self.require(
            configuration.clusterLabel.utf8.count <= Self.maxNameBytes,
            "clusterLabel has \(configuration.clusterLabel.utf8.count) UTF-8 bytes; it must have at most "
                + "\(Self.maxNameBytes)")
        do {
            try configuration.membership.validate(prefix: "membership.")
        } catch {
            throw .invalidConfiguration(error.message, cause: error)
        }
        store = try Self.parseStore(configuration.store, replication: configuration.replication)
        try Self.checkReplication(configuration.replication)
        catchUp = try Self.parseCatchUp(configuration.replication.catchUp, membership: configuration.membership)
    }

    private static func parseStore(
        _ settings: BCache.Configuration.Store, replication: BCache.Configuration.Replication
    ) throws(BCacheError) -> StoreConfiguration {
        try require(settings.maxKeys > 0, "store.maxKeys is \(settings.maxKeys); it must be 1 to Int.max")
        try require(settings.maxBytes > 0, "store.maxBytes is \(settings.maxBytes); it must be 1 to Int.max")
        try require(
            settings.maxValueBytes >= 0, "store.maxValueBytes is \(settings.maxValueBytes); it must be 0 or more")
        try require(
            settings.deletionDelay >= .zero,
            "store.deletionDelay is \(settings.deletionDelay); it must be 0 or more (.seconds(Int64.max) keeps "
                + "tombstones until evicted)")
        try require(
            settings.sweepInterval > .zero, "store.sweepInterval is \(settings.sweepInterval); it must be positive")
        var store = StoreConfiguration()
        store.maxKeys = settings.maxKeys
        store.maxBytes = settings.maxBytes
        store.maxValueBytes = settings.maxValueBytes
        store.deletionDelayMillis = BCache.millisecondsRoundedUp(settings.deletionDelay)
        // A sync frame must hold the largest record: key, value, and the record's header (a sum
        // that saturates: `maxValueBytes` may be `Int.max`).
        let (sum, overflow) = store.maxKeyBytes.addingReportingOverflow(store.maxValueBytes)
        let largestRecord = overflow || sum > Int.max - 64 ? Int.max : sum + 64
        try require(
            replication.maxSyncFrameBytes > largestRecord,
            "replication.maxSyncFrameBytes is \(replication.maxSyncFrameBytes); it must exceed the largest record "
                + "(\(largestRecord) bytes with store.maxValueBytes \(store.maxValueBytes)): raise it or lower "
                + "store.maxValueBytes")
        return store
    }

    private static func checkReplication(_ replication: BCache.Configuration.Replication) throws(BCacheError) {
        try require(
            replication.flushDelay >= .zero, "replication.flushDelay is \(replication.flushDelay); it must be 0 or more"
        )
        try require(
            replication.directLimit >= 0,
            "replication.directLimit is \(replication.directLimit); it must be 0 (always gossip) to Int.max")
        try require(
            replication.immediateSendLimit >= 0,
            "replication.immediateSendLimit is \(replication.immediateSendLimit); it must be 0 (never) to Int.max")
        try require(
            replication.maxPendingBytes > 0,
            "replication.maxPendingBytes is \(replication.maxPendingBytes); it must be 1 to Int.max")
        try require(
            replication.syncTimeout > .zero,
            "replication.syncTimeout is \(replication.syncTimeout); it must be positive")
        try require(
            replication.ownerFill.answerTimeout > .zero,
            "replication.ownerFill.answerTimeout is \(replication.ownerFill.answerTimeout); it must be positive")
    }

    private static func parseCatchUp(
        _ catchUp: BCache.CatchUp, membership: Membership.Settings
    ) throws(BCacheError) -> CatchUpPlanner.Settings {
        let name = "replication.catchUp."
        try require(catchUp.logMaxBytes > 0, "\(name)logMaxBytes is \(catchUp.logMaxBytes); it must be 1 to Int.max")
        try require(catchUp.logMaxAge > .zero, "\(name)logMaxAge is \(catchUp.logMaxAge); it must be positive")
        let window = catchUp.replayWindow ?? BCache.CatchUp.automaticReplayWindow(for: membership)
        try require(
            window > .zero && window <= catchUp.logMaxAge,
            "\(name)replayWindow is \(window); it must be positive and at most \(name)logMaxAge (\(catchUp.logMaxAge))"
        )
        let margin = catchUp.comebackMargin ?? BCache.CatchUp.automaticComebackMargin(for: membership)
        try require(margin >= .zero, "\(name)comebackMargin is \(margin); it must be 0 or more")
        try require(
            catchUp.memberCooldown >= .zero, "\(name)memberCooldown is \(catchUp.memberCooldown); it must be 0 or more")
        try require(
            catchUp.exchangeSpacing >= .zero,
            "\(name)exchangeSpacing is \(catchUp.exchangeSpacing); it must be 0 or more")
        try require(
            catchUp.maxQueuedExchanges >= 0,
            "\(name)maxQueuedExchanges is \(catchUp.maxQueuedExchanges); it must be 0 to Int.max")
        try require(
            catchUp.settleMaxDelay >= .zero,
            "\(name)settleMaxDelay is \(catchUp.settleMaxDelay); it must be 0 or more")
        try require(
            catchUp.settleQuietPeriod >= .zero && catchUp.settleQuietPeriod <= catchUp.settleMaxDelay,
            "\(name)settleQuietPeriod is \(catchUp.settleQuietPeriod); it must be 0 to \(name)settleMaxDelay "
                + "(\(catchUp.settleMaxDelay))")
        try require(
            catchUp.newMemberExchangeDelay >= .zero,
            "\(name)newMemberExchangeDelay is \(catchUp.newMemberExchangeDelay); it must be 0 or more")
        return CatchUpPlanner.Settings(
            replayWindow: window, comebackMargin: margin, memberCooldown: catchUp.memberCooldown,
            exchangeSpacing: catchUp.exchangeSpacing, maxQueuedExchanges: catchUp.maxQueuedExchanges,
            settleQuietPeriod: catchUp.settleQuietPeriod, settleMaxDelay: catchUp.settleMaxDelay,
            newMemberExchangeDelay: catchUp.newMemberExchangeDelay)
    }

    private static func parse(_ text: String, setting: String) throws(BCacheError) -> NodeAddress {
        let address: NodeAddress
        do {
            address = try NodeAddress(parsing: text)
        } catch {
            throw .invalidConfiguration(
                "\(setting): \(error); write host:port, as 10.0.0.1:7946 or cache-1.internal:7946", cause: error)
        }
        try require(
            address.host.utf8.count <= maxNameBytes,
            "\(setting)'s host has \(address.host.utf8.count) UTF-8 bytes; it must have at most \(maxNameBytes)")
        return address
    }

    private static func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(BCacheError) {
        guard condition else { throw .invalidConfiguration(message()) }
    }
}
