import BCacheBase
import BCacheTransport

extension Membership.Instance {
    // MARK: Push-pull as bytes

    /// This node's full member list in the wire format (``Membership/Wire``), for a push-pull.
    ///
    /// The same bytes as `Wire.encode(pushPullState(isJoin:), label: clusterLabel)`, written
    /// straight from the records and kept until a member changes: at 1,000 members a push-pull
    /// state is 36 kB, and building then encoding it on both sides of every exchange was a sixth
    /// of a settled cluster's CPU.
    public mutating func encodedPushPullState(isJoin: Bool = false) -> [UInt8] {
        // A join request (rare: once per join) is encoded apart; the cache holds the plain list.
        guard !isJoin else { return encodePushPull(isJoin: true) }
        if let cached = encodedPushPull { return cached }
        let bytes = encodePushPull(isJoin: false)
        encodedPushPull = bytes
        return bytes
    }

    private func encodePushPull(isJoin: Bool) -> [UInt8] {
        // `sortedIDs` holds exactly the keys of `records`, in the order `pushPullState` uses.
        Membership.Wire.encodePushPull(
            sortedIDs.lazy.compactMap { records[$0]?.member }, count: sortedIDs.count, isJoin: isJoin,
            label: clusterLabel)
    }

    /// Another node opened a push-pull with `bytes`: merge its list and answer with this node's
    /// (as it was before the merge), both in the wire format.
    ///
    /// - Throws: ``Membership/WireError`` when `bytes` do not decode; nothing is merged then.
    public mutating func onPushPullRequest(
        encoded bytes: [UInt8], from sender: NodeAddress, now: Duration
    ) throws(Membership.WireError) -> (response: [UInt8], directives: [Membership.Directive]) {
        let response = encodedPushPullState()
        let remote = try decodeUnlessSame(bytes, as: response)
        guard isActive, let remote else { return (response, []) }
        var directives: [Membership.Directive] = []
        merge(remote, now: now, into: &directives)
        return (response, directives)
    }

    /// The answer, as `bytes`, to a push-pull this node opened: merge it; if this node was
    /// joining, it has joined.
    ///
    /// - Throws: ``Membership/WireError`` when `bytes` do not decode; nothing changes then.
    public mutating func onPushPullResponse(
        encoded bytes: [UInt8], from sender: NodeAddress, now: Duration
    ) throws(Membership.WireError) -> [Membership.Directive] {
        // Compared with the list as cached only: encoding it just to compare would cost what
        // the comparison saves.
        let remote = try decodeUnlessSame(bytes, as: encodedPushPull)
        guard isActive else { return [] }
        var directives: [Membership.Directive] = []
        if let remote { merge(remote, now: now, into: &directives) }
        completePushPull(with: sender, into: &directives)
        return directives
    }

    /// The list in `bytes`, or nil when it is byte for byte this node's own list (`local`) and
    /// merging it would change nothing.
    ///
    /// A settled cluster's members all hold the same list (same members, statuses and
    /// incarnations, in ID order), so most exchanges carry a copy of the receiver's own list.
    /// Merging a copy is a no-op for every alive, dead and left entry (none is newer than what
    /// is known); a suspect entry is not (the receiver confirms the suspicion), so a list with
    /// any suspect is merged in full. Equal bytes are also well-formed bytes: this node wrote them.
    private func decodeUnlessSame(
        _ bytes: [UInt8], as local: [UInt8]?
    ) throws(Membership.WireError) -> Membership.PushPullState? {
        if memberCounts.suspect == 0, let local, bytes == local { return nil }
        // Otherwise most entries still name members known here, unchanged: their identities are
        // reused rather than decoded.
        // Not this node's own identity: it comes from the configuration, where an address's
        // `kind` may have been set by hand, and a decoded one's is the kind its host implies.
        return try Membership.Wire.decodePushPull(bytes, label: clusterLabel) { id in
            id == identity.id ? nil : records[id]?.member.identity
        }
    }
}
