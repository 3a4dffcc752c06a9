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

        /// Whether the membership's join ended (rather than the watch or the timer).
        var isTheJoins: Bool {
            switch self {
            case .joined, .failed: true
            case .refused, .timedOut: false
            }
        }
    }

    /// Joins the seeds and reports the outcome to ``start()``: one error, logged once.
    ///
    /// The seeds' refusals (``JoinWatch``) and ``Configuration/Network/joinTimeout`` report a
    /// failure early, without cancelling the membership's join: `start()` then throws and shuts
    /// the cache down (which ends the join), while a cache run by ``run()`` keeps joining as
    /// before (a mass start whose seed closed streams under load still joins), the report
    /// having been only its one error line. Only the first outcome counts.
    func joinSeeds() async {
        let (node, seeds, watch, clock) = (self.node, self.seeds, self.joinWatch, configuration.clock)
        let timeout = configuration.network.joinTimeout
        guard !seeds.isEmpty else {
            report(await Self.join(node, seeds))
            return
        }
        await withTaskGroup(of: JoinEnd?.self) { group in
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
            var reported = false
            while let next = await group.next() {
                guard let next else { continue }
                if !reported || next.isTheJoins { report(next, first: !reported) }
                reported = true
                // The membership's join has ended: the watch and the timer have nothing left to do.
                if next.isTheJoins { group.cancelAll() }
            }
        }
    }

    /// Tells the lifecycle (only the first outcome counts there) and logs: an early failure
    /// once, a join that ends after it only when it succeeds.
    private func report(_ end: JoinEnd, first: Bool = true) {
        let failure: BCacheError
        switch end {
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
        guard first else { return }
        if failure.code == .joinFailed {
            logger.error("could not join", metadata: ["error": "\(failure.message)"])
        }
        lifecycle.joinFinished(.failure(failure))
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
