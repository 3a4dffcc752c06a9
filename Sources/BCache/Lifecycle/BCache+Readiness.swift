extension BCache {
    /// Whether this node holds the cluster's data: its first anti-entropy exchange with a member
    /// (the join's) has finished, or it was started without seeds. For a readiness probe: a node
    /// that has joined but not yet synced answers misses for keys the cluster holds.
    ///
    /// `start()` returns once the node has joined, which may be long before a large store has
    /// arrived; the exchange that follows streams it (a log line reports its progress every
    /// 100,000 records). Stays true once set. A node whose seeds never answer does not become
    /// ready until an exchange with some member succeeds.
    public var isReady: Bool { readiness.isReady }

    /// Waits until ``isReady``.
    ///
    /// - Throws: ``BCacheError`` with code ``BCacheError/Code/stopped`` when the cache stops first,
    ///   ``BCacheError/Code/cancelled`` when the calling task is cancelled.
    public func waitUntilReady() async throws(BCacheError) {
        switch await readiness.wait() {
        case true?: return
        case false?: throw .stopped("the cache stopped before its first sync with the cluster")
        case nil: throw .cancelled("the task waiting for the cache's first sync was cancelled")
        }
    }
}
