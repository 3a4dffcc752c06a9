import BCache
import BCacheTestKit

/// Propagation latency: single writes on one node, spaced apart, each timed until every
/// watching node holds it.
///
/// Each probe is a new key (`probe-<i>`, a 100-byte value), so that a write slower than the
/// spacing is not overwritten by the next before it is seen. The clock starts just before
/// `set` and stops when the last watching node has seen the write (see
/// ``VisibilityDetection``). Probes not seen by every node within `straggleLimit` after the
/// last write are counted as unseen, not timed.
struct PropagationMeasurement {
    let count: Int
    let spacing: Duration
    let valueSize: Int
    let detection: VisibilityDetection
    var straggleLimit: Duration = .seconds(2)

    struct Figures {
        var microseconds: [Double]
        var unseen: Int

        var p50: Double { Percentiles(microseconds).value(at: 0.50) }
        var p99: Double { Percentiles(microseconds).value(at: 0.99) }
    }

    func measure(writer: BCache, watchers: [BCache]) async throws -> Figures {
        let keys = ProbeKeys(count: count)
        let log = ArrivalLog(probes: count, nodes: watchers.count)
        let value = [UInt8](repeating: 0x70, count: valueSize)
        var readers: [Task<Void, Never>] = []
        var poller: PollingWatcher?
        var observations: [@Sendable () -> Void] = []
        switch detection {
        case .merge:
            for (node, cache) in watchers.enumerated() {
                observations.append(
                    cache.observeChanges { event in
                        guard !event.isLocal, event.kind == .set, let index = ProbeKeys.index(of: event.key) else {
                            return
                        }
                        log.markSeen(node: node, probe: index)
                    })
            }
        case .stream:
            for (node, cache) in watchers.enumerated() {
                // Subscribed before the first write, so that no event can be missed.
                let events = cache.makeChangeStream(bufferSize: 4096)
                readers.append(
                    Task {
                        for await event in events where !event.isLocal && event.kind == .set {
                            if let index = ProbeKeys.index(of: event.key) { log.markSeen(node: node, probe: index) }
                        }
                    })
            }
        case .poll:
            poller = PollingWatcher(watchers: watchers, keys: keys, log: log)
        }
        do {
            for index in 0..<count {
                let sent = log.markSent(index)
                try writer.set(keys.keys[index], value)
                try await Task.sleep(until: sent + spacing, clock: .continuous)
            }
            _ = try? await eventually("every probe seen", within: straggleLimit, pollingEvery: .milliseconds(1)) {
                log.isComplete
            }
        } catch {
            for cancel in observations { cancel() }
            for reader in readers { reader.cancel() }
            try? await poller?.stop()
            throw error
        }
        for cancel in observations { cancel() }
        for reader in readers { reader.cancel() }
        try await poller?.stop()
        let (microseconds, unseen) = log.latencies()
        return Figures(microseconds: microseconds, unseen: unseen)
    }
}
