/// One phase of `bcache bench scale`, to run alone or with others (`--phases`).
///
/// The small cluster's phases run on one cluster of ``ScaleBench/Sizes/smallNodes``, in the
/// order below; the large cluster's on another. A cluster none of whose phases is asked for is
/// not formed at all.
enum ScaleBenchPhase: String, CaseIterable, Sendable {
    case visible64
    case steady
    case burst64
    case join64
    case visible256
    case loss256
    case burst256

    /// Whether the phase runs on the small (64-node) cluster.
    var isSmallCluster: Bool {
        switch self {
        case .visible64, .steady, .burst64, .join64: true
        case .visible256, .loss256, .burst256: false
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
