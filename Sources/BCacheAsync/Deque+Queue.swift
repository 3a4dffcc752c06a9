import DequeModule

/// What the mailboxes and the in-memory streams ask of their queues beyond `Deque`'s own API.
extension Deque {
    /// How many elements from the front match, up to the first that does not.
    package func count(while matches: (Element) -> Bool) -> Int {
        var count = 0
        for element in self {
            guard matches(element) else { break }
            count += 1
        }
        return count
    }

    /// Removes the first element that matches, keeping the order of the others.
    package mutating func removeFirst(where matches: (Element) -> Bool) -> Element? {
        guard let index = firstIndex(where: matches) else { return nil }
        return remove(at: index)
    }

    /// Empties the queue and returns what it held, oldest first.
    package mutating func takeAll() -> [Element] {
        let all = Array(self)
        removeAll()
        return all
    }
}
