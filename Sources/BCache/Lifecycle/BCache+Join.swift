import BCacheMembership
import Logging

extension BCache {
    /// How a join ended.
    private enum JoinEnd: Sendable {
        case joined
        /// The membership's own error: its attempts used up, or the node stopped.
        case failed(Membership.NodeError)
        /// Every seed refused this node (``JoinWatch``).
        case refused
        /// ``Configuration/Network/joinTimeout`` passed first.
        case timedOut
    }

    /// Joins the seeds and reports the outcome to ``start()``: one error, logged once.
    func joinSeeds() async {
        let failure: BCacheError
        switch await joinOrGiveUp() {
        case .joined:
            logger.info("joined", metadata: ["seeds": "\(seeds)"])
            // The first of its cluster has nobody to sync with.
            if seeds.isEmpty { readiness.becameReady() }
            lifecycle.joinFinished(.success(()))
            return
        case .failed(let error):
            failure =
                error.code == .joinFailed
                ? .joinFailed(error.message, cause: error) : .stopped(error.message, cause: error)
        case .refused:
            failure = .joinFailed(
                "every seed refused this node: it reached them, and they closed the exchange without an answer, "
                    + "\(joinWatch.refusalsToGiveUp) times each. The likely causes: another cluster key on one "
                    + "side, or one side encrypted and the other not (the seed logs and counts the rejection: "
                    + "bcache_secure_rejected_total), another clusterLabel (the seed counts "
                    + "bcache_membership_decode_failures_total{reason=\"labelMismatch\"}), or a version of BCache "
                    + "that does not speak this one's protocol. Each seed's last answer: \(joinWatch.failures)")
        case .timedOut:
            failure = .joinFailed(
                "no seed answered within network.joinTimeout (\(configuration.network.joinTimeout)): is a node "
                    + "running at each seed's address, reachable from here over UDP and TCP? Each seed's last "
                    + "failure: \(joinWatch.failures)")
        }
        if failure.code == .joinFailed {
            logger.error("could not join", metadata: ["error": "\(failure.message)"])
        }
        lifecycle.joinFinished(.failure(failure))
    }

    /// The membership's join, raced against the seeds' refusals and the join timeout; the join
    /// is cancelled when either comes first (the node then keeps retrying its seeds while alone,
    /// as after any failed join, until it is shut down).
    private func joinOrGiveUp() async -> JoinEnd {
        let (node, seeds, watch, clock) = (self.node, self.seeds, self.joinWatch, configuration.clock)
        let timeout = configuration.network.joinTimeout
        // A first node has nothing to wait for.
        guard !seeds.isEmpty else { return await Self.join(node, seeds) }
        return await withTaskGroup(of: JoinEnd?.self) { group in
            group.addTask { await Self.join(node, seeds) }
            group.addTask {
                await watch.waitUntilRefused()
                return Task.isCancelled ? nil : .refused
            }
            group.addTask {
                do {
                    try await clock.sleep(until: clock.now + timeout)
                    return .timedOut
                } catch {
                    return nil
                }
            }
            defer { group.cancelAll() }
            while let next = await group.next() {
                if let next { return next }
            }
            return .failed(Membership.NodeError(.cancelled, "the join was cancelled"))
        }
    }

    private static func join(_ node: Membership.Node, _ seeds: [NodeAddress]) async -> JoinEnd {
        do {
            try await node.join(seeds: seeds)
            return .joined
        } catch {
            return .failed(error)
        }
    }
}
