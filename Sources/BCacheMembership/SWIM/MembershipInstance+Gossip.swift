import BCacheBase
import BCacheTransport

extension Membership.Instance {
    /// Gossips queued updates and payloads to `gossipNodes` random members (recently dead ones
    /// included, so that a wrongly declared member learns of it and refutes).
    public mutating func onGossipTick(now: Duration) -> [Membership.Directive] {
        guard isActive else { return [] }
        var directives: [Membership.Directive] = []
        if !updates.isEmpty || !payloads.isEmpty {
            let deadline = settings.gossipToTheDeadTime
            let targets = randomMembers(settings.gossipNodes) { record in
                record.member.status.isReachable || (record.member.status.isDead && now - record.changedAt < deadline)
            }
            for target in targets {
                let packet = piggyback(onto: [], now: now)
                guard !packet.messages.isEmpty else { break }
                directives.append(.send(packet, to: target.identity.address))
            }
        }
        if case .announcing = leaveProgress, !updates.contains(subject: identity.id) {
            leaveProgress = .stopped
            directives.append(.leaveCompleted)
            return directives
        }
        directives.append(.scheduleTimer(.gossipTick, after: settings.gossipInterval))
        return directives
    }

    /// Queues an application payload (a cache write delta) to be gossiped to every member.
    ///
    /// Payloads have their own queue and their own share of each packet
    /// (``Membership/Settings/userPayloadSharePercent``), so that membership updates and payloads
    /// never crowd each other out.
    /// - Precondition: `bytes.count <= maxUserPayloadSize` (1024 bytes with the default packet size).
    @discardableResult
    public mutating func broadcast(userPayload bytes: [UInt8]) -> Membership.UserPayload {
        precondition(bytes.count <= maxUserPayloadSize, "a user payload is limited to \(maxUserPayloadSize) bytes")
        nextPayloadSequence += 1
        let payload = Membership.UserPayload(origin: identity.id, sequence: nextPayloadSequence, bytes: bytes)
        _ = seenPayloads.insert(origin: payload.origin, sequence: payload.sequence)
        enqueuePayload(payload)
        return payload
    }

    /// User payloads waiting to be gossiped.
    public var pendingUserPayloads: Int { payloads.count }

    /// Membership updates waiting to be gossiped.
    public var pendingUpdates: Int { updates.count }

    mutating func handleUserPayload(_ payload: Membership.UserPayload, into directives: inout [Membership.Directive]) {
        guard payload.origin != identity.id, seenPayloads.insert(origin: payload.origin, sequence: payload.sequence)
        else { return }
        directives.append(.deliver(payload))
        enqueuePayload(payload)
    }

    // MARK: Queues and packets

    mutating func enqueueUpdate(_ message: Membership.Message) {
        let size = Membership.Wire.framedSize(of: message)
        // An update larger than a packet (an alive message with the longest name, host and
        // metadata under a small maxPacketSize) could never leave the queue; push-pull carries it.
        guard size <= settings.maxPacketSize - Membership.Wire.envelopeOverhead(label: clusterLabel) else {
            statistics.oversizedUpdates += 1
            return
        }
        updates.enqueue(message, size: size)
    }

    private mutating func enqueuePayload(_ payload: Membership.UserPayload) {
        let message = Membership.Message.userPayload(payload)
        let before = payloads.dropped
        payloads.enqueue(message, size: Membership.Wire.framedSize(of: message), limit: settings.userPayloadQueueLimit)
        statistics.userPayloadsDropped += payloads.dropped - before
    }

    /// Sends `primary` to `address` with as many queued updates and payloads as fit.
    mutating func send(
        _ primary: [Membership.Message], to address: NodeAddress, now: Duration,
        into directives: inout [Membership.Directive]
    ) {
        directives.append(.send(piggyback(onto: primary, now: now), to: address))
    }

    /// `primary` followed by queued updates and payloads, up to ``Membership/Settings/maxPacketSize``.
    ///
    /// Each queue is guaranteed its share of the free room; what one leaves unused goes to the
    /// other, so that neither starves the other.
    mutating func piggyback(onto primary: [Membership.Message], now: Duration) -> Membership.Packet {
        var messages = primary
        let primarySize = primary.reduce(0) { $0 + Membership.Wire.framedSize(of: $1) }
        let room = settings.maxPacketSize - Membership.Wire.envelopeOverhead(label: clusterLabel) - primarySize
        guard room > 0, !(updates.isEmpty && payloads.isEmpty) else {
            return Membership.Packet(stampingSuspicionAges(messages, now: now))
        }
        let members = clusterSize
        let updateLimit = BroadcastQueue.retransmitLimit(multiplier: settings.retransmitMultiplier, members: members)
        let payloadLimit = BroadcastQueue.retransmitLimit(
            multiplier: settings.userPayloadRetransmitMultiplier, members: members)
        let updateShare = room - room * settings.userPayloadSharePercent / 100
        var taken: Set<UInt64> = []
        let first = updates.take(budget: updateShare, transmitLimit: updateLimit, skipping: &taken)
        var payloadTaken: Set<UInt64> = []
        let second = payloads.take(budget: room - first.bytes, transmitLimit: payloadLimit, skipping: &payloadTaken)
        let third = updates.take(
            budget: room - first.bytes - second.bytes, transmitLimit: updateLimit, skipping: &taken)
        messages += first.messages
        messages += third.messages
        messages += second.messages
        return Membership.Packet(stampingSuspicionAges(messages, now: now))
    }

    /// `messages` with each `suspect` carrying how long ago its suspicion started here and the
    /// confirmations counted (zeros for one this node no longer holds at that incarnation), so
    /// that its receivers time it from the same start with the same evidence. Sizes do not
    /// change: both have a fixed width on the wire.
    private func stampingSuspicionAges(_ messages: [Membership.Message], now: Duration) -> [Membership.Message] {
        guard !suspicions.isEmpty else { return messages }
        // Copied only on the first write: a packet without a suspect (most, even under loss,
        // when some suspicion is nearly always open at 1,000 nodes) allocates nothing.
        var stamped = messages
        for index in stamped.indices {
            guard case .suspect(let target, let incarnation, let from, _, _) = stamped[index],
                let suspicion = suspicions[target], suspicion.incarnation == incarnation
            else { continue }
            stamped[index] = .suspect(
                target: target, incarnation: incarnation, from: from, age: now - suspicion.start,
                confirmations: suspicion.confirmations)
        }
        return stamped
    }
}
