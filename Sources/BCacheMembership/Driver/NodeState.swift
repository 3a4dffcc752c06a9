import BCacheAsync
import BCacheTransport

/// Everything a ``Membership/Node`` mutates, behind its one `Mutex`.
struct NodeState: Sendable {
    /// Where the node's life stands.
    enum Phase: Sendable {
        /// Made; `run()` not called yet.
        case idle
        case running
        /// Stopped (left, stopped, transport closed, or `run()` cancelled): for good.
        case stopped
    }

    /// What the timer loop is doing, for ``Membership/Node/isSettled``.
    enum TimerLoop: Sendable, Equatable {
        /// Firing timers (or woken and about to).
        case running
        /// Waiting until this instance time, or a wake-up.
        case sleeping(until: Duration)
        /// Exited.
        case finished
    }

    /// How a join ended.
    enum JoinOutcome: Sendable {
        case joined
        case failed(seeds: [NodeAddress])
        case stopped
        case cancelled
    }

    var instance: Membership.Instance
    var phase = Phase.idle
    var timers = TimerQueue()
    var timerLoop = TimerLoop.running
    /// Push-pulls in progress (opened or served), counted from the directive (or the accept)
    /// until their last step ran.
    var activeExchanges = 0
    /// Packets taken from the transport and fully handled (sends included).
    var packetsProcessed = 0
    var statistics = Membership.Node.Statistics()
    /// The instance's statistics at the last metrics update.
    var reportedStatistics = Membership.Statistics()
    var eventSubscribers: [UInt64: EventSubscription] = [:]
    var payloadSubscribers: [UInt64: AsyncStream<Membership.UserPayload>.Continuation] = [:]
    var userPacketSubscribers: [UInt64: AsyncStream<Membership.UserPacket>.Continuation] = [:]
    /// Each incoming user stream goes to one of these: the earliest subscription still open.
    var userStreamSubscribers: [UInt64: AsyncStream<Membership.IncomingUserStream>.Continuation] = [:]
    var nextSubscriberID: UInt64 = 0
    var joinWaiters = WaiterSlots<JoinOutcome>()
    var leaveWaiters = WaiterSlots<Void>()
    var leaveCompleted = false
    /// The last reason a push-pull to each address failed, for the join error.
    var pushPullFailures: [NodeAddress: String] = [:]

    init(instance: Membership.Instance) {
        self.instance = instance
    }
}

/// One subscription to membership events, and what to tell when an event is queued for it.
struct EventSubscription {
    var continuation: AsyncStream<Membership.Event>.Continuation
    /// Called under the node's lock for each event queued (a dropped oldest one included: the
    /// newer one replaced it), so that a simulation knows its consumer has work.
    var onEnqueued: (@Sendable () -> Void)?
}
