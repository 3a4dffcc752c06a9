import BCacheAsync
import DequeModule
import Testing

@Suite struct DequeQueueTests {
    @Test func countWhileStopsAtTheFirstMismatch() {
        let queue: Deque<Int> = [1, 2, 3, 10, 4]
        #expect(queue.count(while: { $0 < 5 }) == 3)
        #expect(queue.count(while: { $0 > 5 }) == 0)
    }

    @Test func removeFirstWhereKeepsTheOthersInOrder() {
        var queue: Deque<Int> = [1, 2, 3, 2]
        #expect(queue.removeFirst(where: { $0 == 2 }) == 2)
        #expect(Array(queue) == [1, 3, 2])
        #expect(queue.removeFirst(where: { $0 == 7 }) == nil)
    }

    @Test func takeAllEmptiesOldestFirst() {
        var queue: Deque<Int> = [1, 2]
        queue.prepend(0)
        #expect(queue.takeAll() == [0, 1, 2])
        #expect(queue.isEmpty)
    }
}
