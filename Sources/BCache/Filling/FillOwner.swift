import BCacheCore
import BCacheMembership

/// Which member owns a key for cluster-wide filling: rendezvous hashing over the alive members
/// (highest score of key and member name wins), so that every node with the same member list
/// picks the same owner, and a member joining or leaving moves only the keys it wins or held.
enum FillOwner {
    /// The owner of `key` among the alive `members`; nil when `me` is alone (nobody to ask) or
    /// not alive in the list.
    static func owner(of key: String, among members: [Membership.Member], me: NodeID)
        -> Membership.Member?
    {
        let keyHash = StableHash.hash(key)
        var best: (member: Membership.Member, score: UInt64)?
        var alive = 0
        var meAlive = false
        for member in members where member.status.isAlive {
            alive += 1
            if member.identity.id == me { meAlive = true }
            let score = mix(keyHash ^ StableHash.hash(member.name))
            if let current = best,
                current.score > score || (current.score == score && current.member.name < member.name)
            {
                continue
            }
            best = (member, score)
        }
        guard alive > 1, meAlive else { return nil }
        return best?.member
    }

    /// The SplitMix64 finaliser: spreads the bits of a combined hash.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
