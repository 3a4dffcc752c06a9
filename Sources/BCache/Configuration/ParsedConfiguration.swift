import BCacheCore
import BCacheTransport

/// A ``BCache/Configuration`` checked and parsed: what ``BCache/init(configuration:)`` builds
/// from.
struct ParsedConfiguration: Sendable {
    var listen: NodeAddress
    var advertise: NodeAddress?
    var seeds: [NodeAddress]
    var nodeName: String
    var store: StoreConfiguration

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
