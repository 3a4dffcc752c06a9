import BCacheCore

extension EpidemicBroadcast {
    /// How one origin's payloads are arriving here: what tells a payload queued behind its
    /// origin's eager pushes from one lost.
    ///
    /// An origin's payloads travel down the tree in the order it broadcast them, each link a
    /// stream or packets sent in order. While they keep arriving, a payload announced with a
    /// higher sequence is most likely still on its way (a burst of 256 KiB batches leaves a
    /// 1 Gbit/s uplink at about 2 ms a batch and child, while its announcements take 5 ms), so
    /// its graft waits until the flow has been silent for ``Settings/flowSilence``.
    ///
    /// While the flow keeps arriving, a payload *behind* it (a lower sequence than one
    /// delivered) is not taken as lost either: payloads reach a node out of order whenever a
    /// node above it grafted some or had two eager parents for a while (each pushes on what it
    /// delivers), and taking each gap for a loss fed the graft storms of `bcache bench scale`
    /// (`Docs/BENCHMARKS.md`, session 16). A payload behind a silent flow is grafted at once.
    struct OriginFlow: Hashable, Sendable {
        /// The highest sequence of the origin delivered here.
        var sequence: UInt64
        /// When the latest of its payloads was delivered (whatever its sequence).
        var at: Duration

        /// The flow after `id`'s delivery at `now`.
        func advanced(to id: MessageID, now: Duration) -> OriginFlow {
            OriginFlow(sequence: max(sequence, id.sequence), at: now)
        }
    }
}

extension EpidemicBroadcast.Instance {
    /// Records that a payload of `id`'s origin was delivered at `now` (members only: the table
    /// stays bounded by the membership whatever a peer claims).
    mutating func noteDelivery(of id: MessageID, now: Duration) {
        guard id.origin != me, isMember(id.origin) else { return }
        graftWindows[id.origin] = nil
        flows[id.origin] =
            flows[id.origin]?.advanced(to: id, now: now) ?? EpidemicBroadcast.OriginFlow(sequence: id.sequence, at: now)
    }

    /// When a graft of `id`, due now, should be put off, the time to look again; nil to graft it
    /// now. Every payload of an origin waits while its flow keeps arriving here; once the flow
    /// is silent, one behind it was lost and is
    /// grafted now, and of those ahead of it (or when none came) only the first
    /// ``EpidemicBroadcast/Settings/graftWindow`` of one origin in this tick are grafted
    /// (`granted` counts them; the due payloads come lowest sequence first), the others a
    /// ``EpidemicBroadcast/Settings/graftTimeout`` later.
    mutating func graftHold(for id: MessageID, now: Duration, granted: inout [NodeID: Int]) -> Duration? {
        if let flow = flows[id.origin] {
            if flow.at + settings.flowSilence > now { return flow.at + settings.flowSilence }
            if id.sequence <= flow.sequence {
                statistics.graftsBehindFlow += 1
                return nil
            }
        }
        let used = granted[id.origin, default: 0]
        guard used < graftWindows[id.origin] ?? settings.graftWindow else { return now + settings.graftTimeout }
        granted[id.origin] = used + 1
        return nil
    }
}

extension EpidemicBroadcast.Instance {
    /// The most payloads of one origin grafted in one tick however far its window grew.
    static let maxGraftWindow = 1_024

    /// Widens the graft window of `id`'s origin by one payload, `id` having come as the answer
    /// to a graft at `now`, when it was first announced at least
    /// ``EpidemicBroadcast/Settings/flowSilence`` before: the origin's payloads come here only
    /// by grafts (no eager path brings them: a node whose tree link drops everything, or one
    /// refused as a link by full nodes), and each answer lets one more be grafted in a tick, so
    /// the window doubles every round trip. A copy pushed here (``noteDelivery(of:now:)``) puts
    /// it back to ``EpidemicBroadcast/Settings/graftWindow``.
    ///
    /// With the window fixed, such a node got a burst at 2 payloads per graft timeout, 100 a
    /// second (a 64-node simulation still missed 1,585 of 20,000 after 3 s); the wait keeps the
    /// window closed for a burst merely queued behind busy uplinks (its first copies come within
    /// about 100 ms at 64 nodes).
    mutating func widenGraftWindow(afterGrafted id: MessageID, announcedAt: Duration, now: Duration) {
        guard id.origin != me, isMember(id.origin), now - announcedAt >= settings.flowSilence else { return }
        let window = graftWindows[id.origin] ?? settings.graftWindow
        graftWindows[id.origin] = min(window + 1, Self.maxGraftWindow)
        statistics.graftWindowWidened += 1
    }
}
