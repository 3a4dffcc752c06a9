import BCacheBase
import BCacheMembership
import BCacheTransport

/// Helpers for driving one instance by hand.
enum BareInstance {
    static func identity(_ name: String, id: UInt64, generation: UInt64 = 1) -> Membership.NodeIdentity {
        Membership.NodeIdentity(
            id: NodeID(rawValue: id), name: name, address: NodeAddress(host: "\(name).sim", port: 7946),
            generation: generation)
    }

    /// An instance named "self" (id 1), started at time zero, knowing `peers` alive at incarnation 0.
    static func make(
        peers: [Membership.NodeIdentity] = [], settings: Membership.Settings = .lan, seed: UInt64 = 7
    ) -> Membership.Instance {
        var instance = Membership.Instance(
            identity: identity("self", id: 1), settings: settings, clusterLabel: "test", randomSeed: seed)
        _ = instance.start(now: .zero)
        let state = Membership.PushPullState(
            members: peers.map { Membership.Member(identity: $0, status: .alive(incarnation: 0)) }, isJoin: false)
        _ = instance.onPushPullRequest(state, from: NodeAddress(host: "x.sim", port: 1), now: .zero)
        return instance
    }

    /// Whether two durations are within a millisecond (timeouts computed through logarithms).
    static func isClose(_ lhs: Duration, _ rhs: Duration) -> Bool {
        lhs - rhs < .milliseconds(1) && rhs - lhs < .milliseconds(1)
    }

    /// Peers named peer-1... with ids 100, 101...
    static func peers(_ count: Int) -> [Membership.NodeIdentity] {
        (0..<count).map { identity("peer-\($0 + 1)", id: 100 + UInt64($0)) }
    }
}

extension Array where Element == Membership.Directive {
    /// The packets sent, with their destinations.
    var sends: [(packet: Membership.Packet, to: NodeAddress)] {
        compactMap { if case .send(let packet, let address) = $0 { return (packet, address) } else { return nil } }
    }

    /// The messages of every packet sent, flattened.
    var sentMessages: [Membership.Message] { sends.flatMap(\.packet.messages) }

    /// When the suspicion timer of `member` was set to fire, if it was.
    func suspicionTimer(for member: NodeID) -> Duration? {
        timers.first { $0.id == .suspicionTimeout(member) }?.after
    }

    /// The timers scheduled.
    var timers: [(id: Membership.TimerID, after: Duration)] {
        compactMap { if case .scheduleTimer(let id, let after) = $0 { return (id, after) } else { return nil } }
    }

    /// The events reported.
    var events: [Membership.Event] {
        compactMap { if case .event(let event) = $0 { return event } else { return nil } }
    }
}
