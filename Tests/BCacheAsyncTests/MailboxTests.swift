import BCacheAsync
import Testing

@Suite(.timeLimit(.minutes(1)))
struct MailboxTests {
    @Test func elementsComeOutInTheOrderTheyWentIn() async {
        let mailbox = Mailbox<Int>(capacity: 10)
        for element in 1...5 { #expect(mailbox.push(element) == .enqueued) }
        var read: [Int] = []
        for _ in 1...5 {
            if let element = await mailbox.next() { read.append(element) }
        }
        #expect(read == [1, 2, 3, 4, 5])
        #expect(mailbox.count == 0)
    }

    @Test func aFullMailboxRefusesElements() {
        let mailbox = Mailbox<Int>(capacity: 2)
        #expect(mailbox.push(1) == .enqueued)
        #expect(mailbox.push(2) == .enqueued)
        #expect(mailbox.push(3) == .full)
        #expect(mailbox.count == 2)
    }

    @Test func finishDrainsThenEnds() async {
        let mailbox = Mailbox<Int>(capacity: 10)
        _ = mailbox.push(1)
        _ = mailbox.push(2)
        mailbox.finish()
        #expect(mailbox.push(3) == .finished)
        let first: Int? = await mailbox.next()
        let second: Int? = await mailbox.next()
        let end: Int? = await mailbox.next()
        #expect(first == 1)
        #expect(second == 2)
        #expect(end == nil)
    }

    @Test func aParkedConsumerGetsThePushedElement() async throws {
        let mailbox = Mailbox<Int>(capacity: 1)
        let consumer = Task { await mailbox.next() }
        try await waitUntilParked(1) { mailbox.waitingCount }
        #expect(mailbox.push(9) == .enqueued)
        let element: Int? = await consumer.value
        #expect(element == 9)
        #expect(mailbox.count == 0)
    }

    @Test func cancellingAParkedConsumerResumesItOnceWithNil() async throws {
        let mailbox = Mailbox<Int>(capacity: 4)
        let consumer = Task { await mailbox.next() }
        try await waitUntilParked(1) { mailbox.waitingCount }
        consumer.cancel()
        let element: Int? = await consumer.value
        #expect(element == nil)
        // The next element is queued, not handed to the cancelled consumer.
        #expect(mailbox.push(1) == .enqueued)
        #expect(mailbox.count == 1)
    }

    @Test func finishResumesEveryParkedConsumer() async throws {
        let mailbox = Mailbox<Int>(capacity: 4)
        let consumers = 8
        let ends: [Int?] = try await withThrowingTaskGroup(of: Int?.self) { group in
            for _ in 0..<consumers { group.addTask { await mailbox.next() } }
            try await waitUntilParked(consumers) { mailbox.waitingCount }
            mailbox.finish()
            var ends: [Int?] = []
            for try await end in group { ends.append(end) }
            return ends
        }
        #expect(ends.count == consumers)
        #expect(ends.allSatisfy { $0 == nil })
    }

    @Test func theStreamYieldsTheElementsThenEnds() async {
        let mailbox = Mailbox<Int>(capacity: 4)
        _ = mailbox.push(1)
        _ = mailbox.push(2)
        mailbox.finish()
        var read: [Int] = []
        for await element in mailbox.makeStream() { read.append(element) }
        #expect(read == [1, 2])
    }
}
