import BCache
import BCacheBase
import Synchronization

/// How far one node's wall clock runs ahead of the cluster's (behind when negative), changed by
/// the test at any moment: a clock set wrong, or one that jumps while the node runs.
final class ClockSkew: Sendable {
    private let offsetMillis: Atomic<Int64>

    /// A skew of `millis` (negative: behind).
    init(millis: Int64 = 0) {
        offsetMillis = Atomic(millis)
    }

    /// Sets the skew: a jump of the node's wall clock.
    func set(millis: Int64) {
        offsetMillis.store(millis, ordering: .relaxed)
    }

    /// `base` read through this skew.
    func applied(to base: WallClock) -> WallClock {
        WallClock { [self] in
            let offset = offsetMillis.load(ordering: .relaxed)
            let now = base.nowMillis()
            return offset >= 0 ? now &+ UInt64(offset) : now &- offset.magnitude
        }
    }
}
