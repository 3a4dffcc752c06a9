import BCacheCore
import BCacheMembership
import BCacheTransport
import Logging
import Synchronization

/// Both ends of a write refused for its clock. A record whose time is further ahead of this
/// node's wall clock than the drift bound is refused (``RecordMerger``), and its writer's own
/// `set` had succeeded: without word back, the node whose clock runs ahead never learns that
/// the cluster does not take its writes.
///
/// - Refusing side: ``refused(author:aheadMillis:count:)`` (synchronous, from the merger) adds
///   the refusals up per author and queues a ``ClockRefusalNotice`` for it at most once per
///   ``interval``; ``run(node:)`` sends it to the author's address as the membership knows it.
/// - Writing side: ``received(_:from:)`` queues a notice for ``run(node:)``, which takes it only
///   from a reachable member (as replay requests are), then counts the refused writes
///   (``BCache/Statistics/writesRefusedByPeers``) and logs a warning that names the member and
///   how far ahead this node's clock ran, at the 1st, 2nd, 4th, 8th... notice.
final class ClockRefusalReporter: Sendable {
    /// The least time between two notices to one author.
    let interval: Duration

    private struct Pending: Sendable {
        var refused: UInt64 = 0
        var aheadMillis: UInt64 = 0
        var lastSent: Duration?
    }

    private struct Outgoing: Sendable {
        var author: NodeID
        var notice: ClockRefusalNotice
    }

    /// Authors with refusals not yet reported. Bounded: a notice is queued per author at most
    /// once per interval, and beyond ``maxAuthors`` the entries of authors already reported are
    /// forgotten first (a forgotten one is reported again at its next refusal).
    private let pending = Mutex([NodeID: Pending]())
    static let maxAuthors = 4096
    private let outgoing: AsyncStream<Outgoing>
    private let sink: AsyncStream<Outgoing>.Continuation
    /// Notices received, until ``run(node:)`` has checked their sender against the member list.
    /// Bounded: an honest member sends one per 10 s, so a full queue means a flood, whose
    /// newest notices are kept.
    private let incoming: AsyncStream<Incoming>
    private let incomingSink: AsyncStream<Incoming>.Continuation

    private struct Incoming: Sendable {
        var notice: ClockRefusalNotice
        var sender: NodeAddress
    }
    private let clock: any Membership.DriverClock
    private let counters: CacheCounters
    private let logger: Logger
    private let maxDriftMillis: UInt64
    /// Counts each queued notice until it was sent (or found no address).
    private let work: SimulationWork

    init(
        interval: Duration = .seconds(10), clock: any Membership.DriverClock, maxDriftMillis: UInt64,
        counters: CacheCounters, logger: Logger, work: SimulationWork = .untracked
    ) {
        self.interval = interval
        self.clock = clock
        self.maxDriftMillis = maxDriftMillis
        self.counters = counters
        self.logger = logger
        self.work = work
        (outgoing, sink) = AsyncStream.makeStream(of: Outgoing.self, bufferingPolicy: .bufferingNewest(256))
        (incoming, incomingSink) = AsyncStream.makeStream(of: Incoming.self, bufferingPolicy: .bufferingNewest(64))
    }

    // MARK: Refusing side

    /// `count` records written by `author` were refused, the newest `aheadMillis` ahead of this
    /// node's wall clock.
    func refused(author: NodeID, aheadMillis: UInt64, count: Int) {
        let now = clock.now
        let notice = pending.withLock { pending -> ClockRefusalNotice? in
            if pending[author] == nil, pending.count >= Self.maxAuthors {
                let reported = pending.first { $0.value.refused == 0 }?.key ?? pending.keys.first
                if let reported { pending.removeValue(forKey: reported) }
            }
            var entry = pending[author, default: Pending()]
            entry.refused += UInt64(count)
            entry.aheadMillis = max(entry.aheadMillis, aheadMillis)
            if let last = entry.lastSent, now - last < interval {
                pending[author] = entry
                return nil
            }
            pending[author] = Pending(lastSent: now)
            return ClockRefusalNotice(aheadMillis: entry.aheadMillis, refused: entry.refused)
        }
        guard let notice else { return }
        work.began()
        if case .dropped = sink.yield(Outgoing(author: author, notice: notice)) { work.finished() }
    }

    /// Sends the queued notices, and takes the received ones, until the task is cancelled (the
    /// cache stopped).
    func run(node: Membership.Node) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.send(through: node) }
            group.addTask { await self.take(through: node) }
            await group.waitForAll()
        }
    }

    private func send(through node: Membership.Node) async {
        for await item in outgoing {
            defer { work.finished() }
            // The author's address as the membership knows it; an author no longer known (it
            // left) is not told.
            guard let author = node.members.first(where: { $0.identity.id == item.author }),
                author.status.isReachable, author.identity.id != node.identity.id
            else { continue }
            await node.sendReplicationPacket(
                item.notice.encoded(), to: author.identity.address, counting: counters.directSends, logger: logger)
        }
    }

    private func take(through node: Membership.Node) async {
        for await item in incoming {
            defer { work.finished() }
            // Only a member's notice counts (its address, as the membership knows it): anyone
            // else who can reach the port would otherwise raise this node's refusal count and
            // its warnings at will.
            guard node.members.contains(where: { $0.identity.address == item.sender && $0.status.isReachable }) else {
                counters.clockRefusalNoticesIgnored.increment()
                logger.debug("ignored a clock refusal notice from a non-member", metadata: ["from": "\(item.sender)"])
                continue
            }
            count(item.notice, from: item.sender)
        }
    }

    // MARK: Writing side

    /// The most refusals one notice counts: the count comes from the network, and the counters
    /// trap on overflow (two notices of 2^64 - 1 would have crashed the node). An honest notice
    /// covers one author's refusals of 10 s.
    static let maxRefusedPerNotice: UInt64 = 1 << 20

    /// A notice arrived from `sender`: queued for ``run(node:)``, which counts it if the sender is
    /// a member.
    func received(_ notice: ClockRefusalNotice, from sender: NodeAddress) {
        work.began()
        switch incomingSink.yield(Incoming(notice: notice, sender: sender)) {
        case .enqueued: break
        case .dropped, .terminated: work.finished()
        @unknown default: work.finished()
        }
    }

    /// A member refused `notice.refused` of this node's writes for their clock.
    private func count(_ notice: ClockRefusalNotice, from sender: NodeAddress) {
        counters.writesRefusedByPeers.increment(by: Int(min(notice.refused, Self.maxRefusedPerNotice)))
        let notices = counters.clockRefusalNotices.increment()
        guard RecordMerger.crossesPowerOfTwo(from: notices - 1, to: notices) else { return }
        logger.warning(
            "a member refuses this node's writes: this node's wall clock runs ahead of the member's by more than the allowed drift (or the member's runs behind); they are not merged there until the member's clock reaches their time (check both machines' clocks, e.g. NTP; when every node is refused by the same member, that member's clock is the wrong one)",
            metadata: [
                "member": "\(sender)", "aheadBy": "\(Duration.milliseconds(Int64(clamping: notice.aheadMillis)))",
                "refused": "\(notice.refused)", "maxDrift": "\(Duration.milliseconds(Int64(clamping: maxDriftMillis)))",
                "notices": "\(notices)",
            ])
    }
}
