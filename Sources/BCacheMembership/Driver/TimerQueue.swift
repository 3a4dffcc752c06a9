/// The timers a ``Membership/Node`` has pending, earliest first: a binary min-heap.
///
/// Timers due at the same moment come out in the order they were scheduled, so that a run on a
/// manual clock replays the same way.
struct TimerQueue: Sendable {
    private struct Entry: Sendable {
        var deadline: Duration
        var order: UInt64
        var timer: Membership.TimerID

        func precedes(_ other: Entry) -> Bool {
            (deadline, order) < (other.deadline, other.order)
        }
    }

    private var heap: [Entry] = []
    private var nextOrder: UInt64 = 0

    var count: Int { heap.count }

    /// The earliest deadline, nil when empty.
    var nextDeadline: Duration? { heap.first?.deadline }

    mutating func schedule(_ timer: Membership.TimerID, at deadline: Duration) {
        nextOrder += 1
        heap.append(Entry(deadline: deadline, order: nextOrder, timer: timer))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest timer if it is due at `now`.
    mutating func popDue(at now: Duration) -> Membership.TimerID? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
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
        }
        return first.timer
    }

    mutating func removeAll() {
        heap.removeAll()
    }
}
