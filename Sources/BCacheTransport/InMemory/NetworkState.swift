import BCacheAsync
import BCacheBase

/// Everything an ``InMemoryNetwork`` knows, guarded by its one lock.
///
/// The methods here run with the lock held. They never call back into the network; they only
/// touch the transports' inboxes, whose locks are leaves, so there is no lock-order problem.
struct NetworkState {
    /// A directed link.
    struct Link: Hashable {
        var from: NodeAddress
        var to: NodeAddress
    }

    /// A transport as the network holds it: weakly. A transport nobody holds any more is closed
    /// by its `deinit` (unbound, its inboxes finished, its streams closed) instead of living on
    /// with its network in a reference cycle, with the packets it was sent and the tasks
    /// suspended on its inboxes: a test that forgot `close()` leaks nothing.
    struct Binding {
        weak var transport: InMemoryTransport?
    }

    var nodes: [NodeAddress: Binding] = [:]
    var defaultConditions = LinkConditions.perfect
    var linkConditions: [Link: LinkConditions] = [:]
    var partitions = PartitionTable()
    var random: SplitMix64
    var queue = MinHeap<ScheduledPacket>()
    /// Simulated time, used in manual mode only.
    var manualNow: Duration = .zero
    var statistics = NetworkStatistics()
    var trace: [NetworkEvent]?
    var connections: [UInt64: StreamConnection] = [:]
    var nextPacketNumber: UInt64 = 0
    var nextOrder: UInt64 = 0
    var nextConnectionID: UInt64 = 0
    var nextEphemeralPort: [String: UInt16] = [:]
    /// When each node's uplink finishes its last transfer (links with a bandwidth only).
    var uplinkFreeAt: [NodeAddress: Duration] = [:]
    /// When each node's downlink finishes its last transfer (links with a bandwidth only).
    var downlinkFreeAt: [NodeAddress: Duration] = [:]

    init(seed: UInt64, recordsTrace: Bool) {
        self.random = SplitMix64(seed: seed)
        self.trace = recordsTrace ? [] : nil
    }

    func conditions(from: NodeAddress, to: NodeAddress) -> LinkConditions {
        linkConditions[Link(from: from, to: to)] ?? defaultConditions
    }

    /// Decides the fate of one packet sent at `now`: drops it, delivers it at once, or queues it.
    /// Returns the delivery times of the copies it queued.
    ///
    /// The main generator advances exactly once per packet, whatever the conditions, and the
    /// packet's own draws come from a generator seeded by that one number. So changing one
    /// link's conditions does not shift the random decisions of any other packet.
    mutating func transmit(_ bytes: [UInt8], from: NodeAddress, to: NodeAddress, now: Duration) -> [Duration] {
        statistics.packetsSent += 1
        let number = nextPacketNumber
        nextPacketNumber += 1
        var draws = SplitMix64(seed: random.next())
        let link = conditions(from: from, to: to)
        let copies = draws.nextUnitInterval() < link.duplicationRate ? 2 : 1
        statistics.packetsDuplicated += copies - 1
        // A lost or partitioned packet still left the sender: it occupies the uplink.
        let uplink = occupyUplink(of: from, bytes: bytes.count, link: link, now: now)
        var queued: [Duration] = []
        for _ in 0..<copies {
            let lossDraw = draws.nextUnitInterval()
            let jitterDraw = draws.nextUnitInterval()
            let reorderDraw = draws.nextUnitInterval()
            if !partitions.canReach(from, to) {
                record(number, from, to, bytes, now, .dropped(.partition))
                continue
            }
            if lossDraw < link.lossRate {
                record(number, from, to, bytes, now, .dropped(.loss))
                continue
            }
            var delay = link.latency + link.jitter * jitterDraw
            if reorderDraw < link.reorderRate { delay += link.reorderDelay }
            if let uplink {
                let due = occupyDownlink(of: to, after: uplink, delay: delay)
                queue.insert(
                    ScheduledPacket(due: due, order: nextOrder, packetNumber: number, from: from, to: to, bytes: bytes))
                nextOrder += 1
                queued.append(due)
            } else if delay <= .zero {
                deliver(number, from, to, bytes, now)
            } else {
                let due = now + delay
                queue.insert(
                    ScheduledPacket(due: due, order: nextOrder, packetNumber: number, from: from, to: to, bytes: bytes))
                nextOrder += 1
                queued.append(due)
            }
        }
        return queued
    }

    /// A transfer on the sender's side: when it started and ended on the uplink, and how long
    /// it occupies a link.
    struct UplinkTransfer {
        var start: Duration
        var end: Duration
        var duration: Duration
    }

    /// Reserves `from`'s uplink for `bytes` sent at `now`, after the transfers already on it;
    /// nil when the link has no bandwidth (nothing to reserve).
    mutating func occupyUplink(of from: NodeAddress, bytes: Int, link: LinkConditions, now: Duration)
        -> UplinkTransfer?
    {
        guard link.bandwidth != nil else { return nil }
        let duration = link.transferTime(of: bytes)
        let start = max(now, uplinkFreeAt[from] ?? .zero)
        uplinkFreeAt[from] = start + duration
        return UplinkTransfer(start: start, end: start + duration, duration: duration)
    }

    /// Reserves `to`'s downlink for a transfer that left the sender's uplink as `uplink` says
    /// and travels `delay`; returns when its last byte arrives. The bytes flow through: the
    /// downlink starts when the first byte arrives (or when it is free), and cannot finish
    /// before the last byte has crossed the delay.
    mutating func occupyDownlink(of to: NodeAddress, after uplink: UplinkTransfer, delay: Duration) -> Duration {
        let start = max(uplink.start + delay, downlinkFreeAt[to] ?? .zero)
        let end = max(start + uplink.duration, uplink.end + delay)
        downlinkFreeAt[to] = end
        return end
    }

    /// Schedules the arrival of the stream frame `sequence` of `channel`, `bytes` long, sent at
    /// `now` from `from` to `to`: after its transfer over both nodes' links and the latency, on a
    /// link with a bandwidth. Returns the due time, or nil when the link has no bandwidth (the
    /// frame is readable at once, the caller releases it).
    mutating func scheduleFrame(
        _ sequence: UInt64, of channel: FrameChannel, bytes: Int, from: NodeAddress, to: NodeAddress, now: Duration
    ) -> Duration? {
        let link = conditions(from: from, to: to)
        guard let uplink = occupyUplink(of: from, bytes: bytes, link: link, now: now) else { return nil }
        let due = occupyDownlink(of: to, after: uplink, delay: link.latency)
        queue.insert(
            ScheduledPacket(
                due: due, order: nextOrder, packetNumber: 0, from: from, to: to, bytes: [],
                frameRelease: ScheduledPacket.FrameRelease(channel: channel, sequence: sequence)))
        nextOrder += 1
        return due
    }

    /// Delivers the earliest queued packet (or releases the earliest frame) if it is due by
    /// `time`. Returns its due time.
    mutating func deliverNext(dueBy time: Duration) -> Duration? {
        guard let next = queue.min, next.due <= time, let packet = queue.popMin() else { return nil }
        if let release = packet.frameRelease {
            release.channel.release(through: release.sequence)
            statistics.framesDelivered += 1
        } else {
            deliver(packet.packetNumber, packet.from, packet.to, packet.bytes, packet.due)
        }
        return packet.due
    }

    /// Puts a packet in its receiver's inbox, or drops it when that cannot be done now.
    mutating func deliver(_ number: UInt64, _ from: NodeAddress, _ to: NodeAddress, _ bytes: [UInt8], _ time: Duration)
    {
        guard partitions.canReach(from, to) else {
            record(number, from, to, bytes, time, .dropped(.partition))
            return
        }
        guard let receiver = nodes[to]?.transport else {
            record(number, from, to, bytes, time, .dropped(.noListener))
            return
        }
        switch receiver.packetInbox.push(IncomingPacket(bytes: bytes, sender: from)) {
        case .enqueued: record(number, from, to, bytes, time, .delivered)
        case .full: record(number, from, to, bytes, time, .dropped(.receiveBufferFull))
        case .finished: record(number, from, to, bytes, time, .dropped(.noListener))
        }
    }

    mutating func record(
        _ number: UInt64, _ from: NodeAddress, _ to: NodeAddress, _ bytes: [UInt8], _ time: Duration,
        _ outcome: NetworkEvent.Outcome
    ) {
        switch outcome {
        case .delivered: statistics.packetsDelivered += 1
        case .dropped(let reason): statistics.packetsDropped[reason, default: 0] += 1
        }
        trace?.append(
            NetworkEvent(time: time, packetNumber: number, from: from, to: to, bytes: bytes, outcome: outcome))
    }

    /// The address to bind: `address` itself, or with a free port from 49152 up when its port is 0.
    mutating func addressToBind(_ address: NodeAddress) throws(TransportError) -> NodeAddress {
        guard address.port == 0 else {
            guard nodes[address]?.transport == nil else {
                throw TransportError(.bindFailed, "\(address) is already bound on this in-memory network")
            }
            return address
        }
        let first: UInt16 = 49152
        var port = nextEphemeralPort[address.host, default: first]
        for _ in first...UInt16.max {
            let candidate = NodeAddress(host: address.host, port: port)
            port = port == .max ? first : port + 1
            if nodes[candidate]?.transport == nil {
                nextEphemeralPort[address.host] = port
                return candidate
            }
        }
        throw TransportError(.bindFailed, "no free port left for \(address.host) on this in-memory network")
    }

    /// Removes and returns the open streams that the current partition cuts.
    mutating func takeCutConnections() -> [StreamConnection] {
        let cut = connections.values.filter { !partitions.canReach($0.initiatorAddress, $0.acceptorAddress) }
        for connection in cut { connections[connection.id] = nil }
        statistics.streamsBroken += cut.count
        return cut
    }
}
