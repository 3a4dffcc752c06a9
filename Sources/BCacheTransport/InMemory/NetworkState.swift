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

    var nodes: [NodeAddress: InMemoryTransport] = [:]
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
            if delay <= .zero {
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

    /// Delivers the earliest queued packet if it is due by `time`. Returns its due time.
    mutating func deliverNext(dueBy time: Duration) -> Duration? {
        guard let next = queue.min, next.due <= time, let packet = queue.popMin() else { return nil }
        deliver(packet.packetNumber, packet.from, packet.to, packet.bytes, packet.due)
        return packet.due
    }

    /// Puts a packet in its receiver's inbox, or drops it when that cannot be done now.
    mutating func deliver(_ number: UInt64, _ from: NodeAddress, _ to: NodeAddress, _ bytes: [UInt8], _ time: Duration)
    {
        guard partitions.canReach(from, to) else {
            record(number, from, to, bytes, time, .dropped(.partition))
            return
        }
        guard let receiver = nodes[to] else {
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
            guard nodes[address] == nil else {
                throw TransportError(.bindFailed, "\(address) is already bound on this in-memory network")
            }
            return address
        }
        let first: UInt16 = 49152
        var port = nextEphemeralPort[address.host, default: first]
        for _ in first...UInt16.max {
            let candidate = NodeAddress(host: address.host, port: port)
            port = port == .max ? first : port + 1
            if nodes[candidate] == nil {
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
