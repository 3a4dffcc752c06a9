/// One phase of `bcache bench scale`, to run alone or with others (`--phases`).
///
/// The small cluster's phases run on one cluster of ``ScaleBench/Sizes/smallNodes``, in the
/// order below; the large cluster's on another, and the fill phase on a third of
/// ``ScaleBench/Sizes/fillNodes``. A cluster none of whose phases is asked for is not formed at
/// all.
enum ScaleBenchPhase: String, CaseIterable, Sendable {
    case visible64
    case steady
    case burst64
    case join64
    case visible256
    case loss256
    case burst256
    case fill16

    /// The clusters the phases run on.
    enum Cluster: CaseIterable, Sendable {
        /// 64 nodes (8 with `--quick`).
        case small
        /// 256 nodes (16 with `--quick`).
        case large
        /// 16 nodes, for cluster-wide filling.
        case fill
    }

    /// The cluster the phase runs on.
    var cluster: Cluster {
        switch self {
        case .visible64, .steady, .burst64, .join64: .small
        case .visible256, .loss256, .burst256: .large
        case .fill16: .fill
        }
    }

    /// The phases named in `list` (comma-separated), or a failure naming the first unknown one.
    static func parse(_ list: String) -> Result<Set<ScaleBenchPhase>, ScaleBenchFailure> {
        var phases: Set<ScaleBenchPhase> = []
        for name in list.split(separator: ",") {
            let trimmed = String(name.filter { !$0.isWhitespace })
            guard let phase = ScaleBenchPhase(rawValue: trimmed) else {
                let known = allCases.map(\.rawValue).joined(separator: ", ")
                return .failure(ScaleBenchFailure("unknown phase \"\(trimmed)\" (known: \(known))"))
            }
            phases.insert(phase)
        }
        return .success(phases)
    }
}
