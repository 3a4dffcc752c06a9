import BCache
import BCacheTestKit
import Foundation
import Synchronization

/// A dedicated thread that polls `get` on the watching nodes in a tight loop until stopped,
/// stamping each probe the first time a node returns it.
///
/// A thread rather than a task: a task spinning without suspending would hold one of the
/// concurrency pool's threads (two on a 2-core machine) and starve the nodes' own tasks.
final class PollingWatcher: Sendable {
    private let stopRequested = Atomic(false)
    private let finished = Atomic(false)

    /// Starts polling `watchers` for the probes `log` records as sent.
    init(watchers: [BCache], keys: ProbeKeys, log: ArrivalLog) {
        Thread.detachNewThread { [self] in
            // The lowest probe each node has not seen yet: the scan starts there.
            var lowest = Array(repeating: 0, count: watchers.count)
            while !self.stopRequested.load(ordering: .relaxed) {
                let sent = log.sentCount
                for (node, cache) in watchers.enumerated() where lowest[node] < sent {
                    for index in lowest[node]..<sent where !log.hasSeen(node: node, probe: index) {
                        if cache.get(keys.keys[index]) != nil { log.markSeen(node: node, probe: index) }
                    }
                    while lowest[node] < sent, log.hasSeen(node: node, probe: lowest[node]) { lowest[node] += 1 }
                }
            }
            self.finished.store(true, ordering: .releasing)
        }
    }

    /// Stops the thread and waits until it has.
    func stop() async throws {
        stopRequested.store(true, ordering: .relaxed)
        try await eventually("the polling thread stopped", within: .seconds(10), pollingEvery: .milliseconds(1)) {
            finished.load(ordering: .acquiring)
        }
    }
}
