extension EpidemicBroadcast {
    /// What two nodes of the tree say to each other (bytes in `Docs/PROTOCOL.md`, "Epidemic
    /// broadcast").
    enum Message: Hashable, Sendable {
        /// Eager push: a payload, `round` hops from its origin when it arrives.
        case gossip(id: MessageID, round: UInt32, payload: [UInt8])
        /// Lazy push: payloads the sender holds, batched per tick.
        case iHave([Announcement])
        /// Asks the receiver for these payloads and makes the link eager (an empty list only
        /// makes the link eager: the optimization that moves a node closer to the root).
        case graft([MessageID])
        /// The sender received a duplicate over this link: the link becomes lazy.
        case prune
        /// The answer to a graft for payloads the sender no longer holds (evicted from its
        /// bounded cache): the asker repairs them by anti-entropy.
        case gone([MessageID])
    }
}
