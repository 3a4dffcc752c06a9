import BCacheCore
import BCacheMembership
import BCacheTransport

/// A ``BCache/Configuration`` checked and parsed: what ``BCache/init(configuration:)`` builds
/// from.
struct ParsedConfiguration: Sendable {
    var listen: NodeAddress
    var advertise: NodeAddress?
    var seeds: [NodeAddress]
    var nodeName: String
    var store: StoreConfiguration
    /// The catch-up planner's settings, automatic windows resolved.
    var catchUp: CatchUpPlanner.Settings

    /// The most bytes a member name may have (the membership's limit).
    static let maxNodeNameBytes = 255

    init(_ configuration: BCache.Configuration) throws(BCacheError) {
        listen = try Self.parse(configuration.listen, setting: "listen")
        advertise = try configuration.advertise.map { text throws(BCacheError) in
            try Self.parse(text, setting: "advertise")
        }
        var seeds: [NodeAddress] = []
        for (index, seed) in configuration.seeds.enumerated() {
            seeds.append(try Self.parse(seed, setting: "seeds[\(index)]"))
        }
        self.seeds = seeds
        nodeName = configuration.nodeName ?? "bcache-" + String(NodeID.random().rawValue, radix: 16)
        guard !nodeName.isEmpty, nodeName.utf8.count <= Self.maxNodeNameBytes else {
            throw BCacheError(
                .invalidConfiguration, "nodeName must have 1 to \(Self.maxNodeNameBytes) bytes of UTF-8")
        }
        try Self.require(configuration.maxKeys > 0, "maxKeys is \(configuration.maxKeys); it must be positive")
        try Self.require(configuration.maxBytes > 0, "maxBytes is \(configuration.maxBytes); it must be positive")
        try Self.require(
            configuration.maxValueBytes >= 0, "maxValueBytes is \(configuration.maxValueBytes); it must not be negative"
        )
        try Self.require(
            configuration.deletionDelay >= .zero,
            "deletionDelay is \(configuration.deletionDelay); it must not be negative")
        try Self.require(
            configuration.flushDelay >= .zero, "flushDelay is \(configuration.flushDelay); it must not be negative")
        try Self.require(
            configuration.directReplicationLimit >= 0,
            "directReplicationLimit is \(configuration.directReplicationLimit); it must not be negative (0 always gossips)"
        )
        try Self.require(
            configuration.maxPendingReplicationBytes > 0,
            "maxPendingReplicationBytes is \(configuration.maxPendingReplicationBytes); it must be positive")
        try Self.require(
            configuration.sweepInterval > .zero, "sweepInterval is \(configuration.sweepInterval); it must be positive")
        try Self.require(
            configuration.syncTimeout > .zero, "syncTimeout is \(configuration.syncTimeout); it must be positive")
        catchUp = try Self.parseCatchUp(configuration.catchUp, membership: configuration.membership)
        var store = StoreConfiguration()
        store.maxKeys = configuration.maxKeys
        store.maxBytes = configuration.maxBytes
        store.maxValueBytes = configuration.maxValueBytes
        store.deletionDelayMillis = BCache.millisecondsRoundedUp(configuration.deletionDelay)
        // A sync frame must hold the largest record: key, value, and the record's header.
        let largestRecord = store.maxKeyBytes + store.maxValueBytes + 64
        try Self.require(
            configuration.maxSyncFrameBytes > largestRecord,
            "maxSyncFrameBytes is \(configuration.maxSyncFrameBytes); it must exceed the largest record "
                + "(\(largestRecord) bytes with maxValueBytes \(store.maxValueBytes)): raise it or lower maxValueBytes")
        self.store = store
    }

    private static func parseCatchUp(
        _ catchUp: BCache.CatchUp, membership: Membership.Settings
    ) throws(BCacheError) -> CatchUpPlanner.Settings {
        try require(catchUp.logMaxBytes > 0, "catchUp.logMaxBytes is \(catchUp.logMaxBytes); it must be positive")
        try require(catchUp.logMaxAge > .zero, "catchUp.logMaxAge is \(catchUp.logMaxAge); it must be positive")
        let window = catchUp.replayWindow ?? BCache.CatchUp.automaticReplayWindow(for: membership)
        try require(
            window > .zero && window <= catchUp.logMaxAge,
            "catchUp.replayWindow is \(window); it must be positive and at most catchUp.logMaxAge (\(catchUp.logMaxAge))"
        )
        let margin = catchUp.comebackMargin ?? BCache.CatchUp.automaticComebackMargin(for: membership)
        try require(margin >= .zero, "catchUp.comebackMargin is \(margin); it must not be negative")
        try require(
            catchUp.memberCooldown >= .zero,
            "catchUp.memberCooldown is \(catchUp.memberCooldown); it must not be negative")
        try require(
            catchUp.exchangeSpacing >= .zero,
            "catchUp.exchangeSpacing is \(catchUp.exchangeSpacing); it must not be negative")
        try require(
            catchUp.maxQueuedExchanges >= 0,
            "catchUp.maxQueuedExchanges is \(catchUp.maxQueuedExchanges); it must not be negative")
        try require(
            catchUp.settleQuietPeriod >= .zero && catchUp.settleQuietPeriod <= catchUp.settleMaxDelay,
            "catchUp.settleQuietPeriod is \(catchUp.settleQuietPeriod); it must be 0 to catchUp.settleMaxDelay "
                + "(\(catchUp.settleMaxDelay))")
        try require(
            catchUp.newMemberExchangeDelay >= .zero,
            "catchUp.newMemberExchangeDelay is \(catchUp.newMemberExchangeDelay); it must not be negative")
        return CatchUpPlanner.Settings(
            replayWindow: window, comebackMargin: margin, memberCooldown: catchUp.memberCooldown,
            exchangeSpacing: catchUp.exchangeSpacing, maxQueuedExchanges: catchUp.maxQueuedExchanges,
            settleQuietPeriod: catchUp.settleQuietPeriod, settleMaxDelay: catchUp.settleMaxDelay,
            newMemberExchangeDelay: catchUp.newMemberExchangeDelay)
    }

    private static func parse(_ text: String, setting: String) throws(BCacheError) -> NodeAddress {
        do {
            return try NodeAddress(parsing: text)
        } catch {
            throw BCacheError(
                .invalidConfiguration,
                "\(setting): \(error); write host:port, as 10.0.0.1:7946 or cache-1.internal:7946")
        }
    }

    private static func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(BCacheError) {
        guard condition else { throw BCacheError(.invalidConfiguration, message()) }
    }
}
