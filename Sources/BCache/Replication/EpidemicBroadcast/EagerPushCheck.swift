import BCacheCore

extension EpidemicBroadcast.Instance {
    /// Whether an eager push of `id` to `peer`, decided earlier and queued by the driver behind
    /// a busy uplink, should still be sent: yes while the link is eager. When the peer pruned
    /// the link meanwhile (it got the payload, or is getting its payloads, from another
    /// parent), the push is withdrawn and the payload announced to it instead (an `iHave` with
    /// the next tick's), so that it grafts the payload only if it still lacks it.
    ///
    /// Without this check, the copies queued before a prune still went: in a burst, every
    /// duplicate prunes its link but the sender's queue held the rest of the burst for it.
    mutating func confirmEagerPush(of id: MessageID, round: UInt32, to peer: NodeID, now: Duration) -> (
        send: Bool, directives: [Directive]
    ) {
        guard !eager.sortedContains(peer) else { return (true, []) }
        statistics.gossipWithdrawn += 1
        guard isMember(peer) else { return (false, []) }
        pendingAnnouncements[peer, default: []].append(Announcement(id: id, round: round))
        var directives: [Directive] = []
        scheduleTickIfNeeded(now: now, into: &directives)
        return (false, directives)
    }
}
