import BCacheBase

/// A min-heap of actions by time, first-scheduled first among equal times: the simulation's
/// timer wheel and network in flight.
package struct EventQueue<Action> {
    /// Boxed, so that sifting moves a pointer rather than a large enum.
    private final class Box {
        let action: Action
        init(_ action: Action) { self.action = action }
    }

    /// When an action is due, and its scheduling order among equal times.
    private struct Key {
        var time: Duration
        var order: UInt64

        func precedes(_ other: Key) -> Bool {
            // Not a tuple comparison: that instantiates tuple metadata on every call in debug builds.
            time < other.time || (time == other.time && order < other.order)
        }
    }

    /// The heap's keys and actions side by side, moved together: comparisons read plain
    /// values only, with no reference counting of the boxes (which was a tenth of a large
    /// simulation's time).
    private var keys: [Key] = []
    private var boxes: [Box] = []
    private var nextOrder: UInt64 = 0

    package init() {}

    package var isEmpty: Bool { keys.isEmpty }
    package var count: Int { keys.count }
    package var nextTime: Duration? { keys.first?.time }

    package mutating func schedule(_ action: Action, at time: Duration) {
        keys.append(Key(time: time, order: nextOrder))
        boxes.append(Box(action))
        nextOrder += 1
        var child = keys.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard keys[child].precedes(keys[parent]) else { break }
            swapAt(child, parent)
            child = parent
        }
    }

    package mutating func popFirst() -> (time: Duration, action: Action)? {
        guard !keys.isEmpty else { return nil }
        swapAt(0, keys.count - 1)
        let first = keys.removeLast()
        let box = boxes.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < keys.count, keys[left].precedes(keys[smallest]) { smallest = left }
            if right < keys.count, keys[right].precedes(keys[smallest]) { smallest = right }
            guard smallest != parent else { break }
            swapAt(parent, smallest)
            parent = smallest
        }
        return (first.time, box.action)
    }

    private mutating func swapAt(_ a: Int, _ b: Int) {
        keys.swapAt(a, b)
        boxes.swapAt(a, b)
    }
}

/// The simulation's own seeded randomness (loss, latency), independent of the nodes'.
package typealias SimulationRandom = SplitMix64
