import BCacheBase
import BCacheMembershipSimulation
import BCacheTransport
import Testing

@testable import BCacheMembership

/// The dissemination queue takes least-sent, then newest, updates first, drops the most-sent
/// oldest when full, and replaces an update about the same member. Checked step by step against
/// a plain model that sorts everything on every call.
@Suite struct BroadcastQueueTests {
    /// The obvious implementation: one array, sorted for every packet.
    private struct ModelQueue {
        var items: [(message: Membership.Message, size: Int, transmits: Int, order: UInt64)] = []
        var nextOrder: UInt64 = 0
        var dropped = 0

        private static func earlier(
            _ l: (message: Membership.Message, size: Int, transmits: Int, order: UInt64),
            _ r: (message: Membership.Message, size: Int, transmits: Int, order: UInt64)
        ) -> Bool {
            l.transmits < r.transmits || (l.transmits == r.transmits && l.order > r.order)
        }

        mutating func enqueue(_ message: Membership.Message, size: Int, limit: Int) {
            if let subject = message.subject { items.removeAll { $0.message.subject == subject } }
            items.append((message, size, 0, nextOrder))
            nextOrder += 1
            if items.count > limit, let victim = items.indices.max(by: { Self.earlier(items[$0], items[$1]) }) {
                items.remove(at: victim)
                dropped += 1
            }
        }

        mutating func take(budget: Int, limit: Int, taken: inout Set<UInt64>) -> [Membership.Message] {
            let order = items.indices.sorted { Self.earlier(items[$0], items[$1]) }
            var messages: [Membership.Message] = []
            var used = 0
            var exhausted: [Int] = []
            for index in order where used + items[index].size <= budget && !taken.contains(items[index].order) {
                used += items[index].size
                messages.append(items[index].message)
                taken.insert(items[index].order)
                items[index].transmits += 1
                if items[index].transmits >= limit { exhausted.append(index) }
                if budget - used < 8 { break }
            }
            for index in exhausted.sorted(by: >) { items.remove(at: index) }
            return messages
        }
    }

    @Test(arguments: [1 as UInt64, 2, 3, 4, 5, 6, 7, 8])
    func takesInTheSameOrderAsASortedModel(seed: UInt64) {
        var random = SimulationRandom(seed: seed)
        var queue = BroadcastQueue()
        var model = ModelQueue()
        let members = (1...6).map { NodeID(rawValue: $0) }
        var payloadSequence: UInt64 = 0
        for step in 0..<3_000 {
            let limit = Int(random.next() % 40) + 5
            if random.next() % 3 != 0 {
                let message: Membership.Message
                if random.next() % 2 == 0 {
                    payloadSequence += 1
                    message = .userPayload(
                        Membership.UserPayload(origin: members[0], sequence: payloadSequence, bytes: [1]))
                } else {
                    let target = members[Int(random.next() % UInt64(members.count))]
                    message = .leave(target: target, incarnation: random.next() % 100)
                }
                let size = Int(random.next() % 300) + 1
                queue.enqueue(message, size: size, limit: limit)
                model.enqueue(message, size: size, limit: limit)
            } else {
                let budget = Int(random.next() % 1_400)
                let transmitLimit = Int(random.next() % 4) + 1
                var takenByQueue = Set<UInt64>()
                var takenByModel = Set<UInt64>()
                let fromQueue = queue.take(budget: budget, transmitLimit: transmitLimit, skipping: &takenByQueue)
                let fromModel = model.take(budget: budget, limit: transmitLimit, taken: &takenByModel)
                #expect(fromQueue.messages == fromModel, "seed \(seed), step \(step)")
                if fromQueue.messages != fromModel { return }
            }
            #expect(queue.count == model.items.count, "seed \(seed), step \(step)")
            #expect(queue.dropped == model.dropped, "seed \(seed), step \(step)")
        }
    }

    @Test func aNewerUpdateAboutAMemberReplacesTheOlderOne() {
        var queue = BroadcastQueue()
        let member = NodeID(rawValue: 9)
        queue.enqueue(.leave(target: member, incarnation: 1), size: 10)
        queue.enqueue(.leave(target: member, incarnation: 2), size: 10)
        #expect(queue.count == 1)
        var taken = Set<UInt64>()
        #expect(
            queue.take(budget: 100, transmitLimit: 3, skipping: &taken).messages == [
                .leave(target: member, incarnation: 2)
            ])
        #expect(queue.contains(subject: member))
    }
}

/// Queueing costs the same whatever the queue holds (memberlist's map beside the ordered queue).
@Suite struct BroadcastQueueCostTests {
    private func visitsPerReplacement(members: Int) -> Double {
        var queue = BroadcastQueue()
        for id in 0..<members {
            queue.enqueue(.leave(target: NodeID(rawValue: UInt64(id)), incarnation: 0), size: 20)
        }
        let before = queue.itemsVisited
        for id in 0..<members {
            queue.enqueue(.leave(target: NodeID(rawValue: UInt64(id)), incarnation: 1), size: 20)
        }
        #expect(queue.count == members)
        return Double(queue.itemsVisited - before) / Double(members)
    }

    @Test func replacingAnUpdateDoesNotScanTheQueue() {
        #expect(visitsPerReplacement(members: 16) == 1)
        #expect(visitsPerReplacement(members: 1_000) == 1)
    }

    @Test func replacedUpdatesAreNeverSent() {
        var queue = BroadcastQueue()
        let member = NodeID(rawValue: 5)
        queue.enqueue(.leave(target: member, incarnation: 0), size: 20)
        queue.enqueue(.leave(target: NodeID(rawValue: 6), incarnation: 0), size: 20)
        queue.enqueue(.leave(target: member, incarnation: 1), size: 20)
        var taken: Set<UInt64> = []
        let sent = queue.take(budget: 1_000, transmitLimit: 1, skipping: &taken)
        #expect(sent.messages.count == 2)
        #expect(sent.messages.contains(.leave(target: member, incarnation: 1)))
        #expect(!sent.messages.contains(.leave(target: member, incarnation: 0)))
        #expect(queue.isEmpty)
        #expect(!queue.contains(subject: member))
    }
}
