import BCacheMembership
import BCacheTransport
import Testing

@testable import BCache

/// Rendezvous hashing over the alive members.
@Suite struct FillOwnerTests {
    static func member(_ index: Int, _ status: Membership.Status = .alive(incarnation: 0)) -> Membership.Member {
        let identity = Membership.NodeIdentity(
            id: NodeID(rawValue: UInt64(index + 1)), name: "node-\(index)",
            address: NodeAddress(host: "10.0.0.\(index + 1)", port: 7946))
        return Membership.Member(identity: identity, status: status)
    }

    let members: [Membership.Member] = (0..<16).map { member($0) }
    let keys: [String] = (0..<2_000).map { "key-\($0)" }

    func owners(_ members: [Membership.Member], me: Int) -> [String?] {
        keys.map { FillOwner.owner(of: $0, among: members, me: NodeID(rawValue: UInt64(me + 1)))?.name }
    }

    @Test func everyNodeWithTheSameMembersPicksTheSameOwner() {
        let seen = owners(members, me: 0)
        #expect(owners(members.reversed(), me: 7) == seen)
        // Spread: each of 16 members owns some keys, none more than twice its share.
        let counts = Dictionary(grouping: seen.compactMap { $0 }, by: { $0 }).mapValues(\.count)
        #expect(counts.count == 16)
        #expect(counts.values.allSatisfy { $0 < 2 * keys.count / 16 })
    }

    @Test func aMemberThatFailsMovesOnlyTheKeysItOwned() {
        let before = owners(members, me: 0)
        var changed = members
        changed[3] = Self.member(3, .dead(incarnation: 0))
        let after = owners(changed, me: 0)
        for (old, new) in zip(before, after) {
            if old == "node-3" {
                #expect(new != "node-3")
            } else {
                #expect(new == old)
            }
        }
    }

    @Test func aNodeAloneOrNotAliveHasNoOwnerToAsk() {
        #expect(owners([Self.member(0)], me: 0).allSatisfy { $0 == nil })
        let othersDead = [Self.member(0), Self.member(1, .left(incarnation: 1))]
        #expect(owners(othersDead, me: 0).allSatisfy { $0 == nil })
        #expect(owners(members, me: 99).allSatisfy { $0 == nil })
    }
}
