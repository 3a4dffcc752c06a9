import BCacheBase

/// A min-heap of actions by time, first-scheduled first among equal times: the simulation's
/// timer wheel and network in flight.
package struct EventQueue<Action> {
    /// Boxed, so that sifting moves a pointer rather than a large enum.
    private final class Box {
        let action: Action
        init(_ action: Action) { self.action = action }
    }

    private struct Entry {
        var time: Duration
        var order: UInt64
        var box: Box

        func precedes(_ other: Entry) -> Bool {
            // Not a tuple comparison: that instantiates tuple metadata on every call in debug builds.
            time < other.time || (time == other.time && order < other.order)
        }
    }

    private var heap: [Entry] = []
    private var nextOrder: UInt64 = 0

    package init() {}

    package var isEmpty: Bool { heap.isEmpty }
    package var count: Int { heap.count }
    package var nextTime: Duration? { heap.first?.time }

    package mutating func schedule(_ action: Action, at time: Duration) {
        heap.append(Entry(time: time, order: nextOrder, box: Box(action)))
        nextOrder += 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    package mutating func popFirst() -> (time: Duration, action: Action)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let first = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].precedes(heap[smallest]) { smallest = left }
            if right < heap.count, heap[right].precedes(heap[smallest]) { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return (first.time, first.box.action)
    }
}

/// The simulation's own seeded randomness (loss, latency), independent of the nodes'.
package typealias SimulationRandom = SplitMix64
