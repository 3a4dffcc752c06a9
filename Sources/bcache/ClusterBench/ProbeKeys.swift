/// The keys of the propagation probes: `probe-<index>`, one per write, so that a slow write is
/// never hidden by the next one overwriting it.
struct ProbeKeys: Sendable {
    static let prefix = "probe-"

    let keys: [String]

    init(count: Int) {
        keys = (0..<count).map { Self.prefix + String($0) }
    }

    /// The index of a probe key, nil for any other key.
    static func index(of key: String) -> Int? {
        guard key.hasPrefix(prefix) else { return nil }
        return Int(key.dropFirst(prefix.count))
    }
}
