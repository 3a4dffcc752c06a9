import Synchronization

/// Where a ``BCache`` is in its life, and the signals between ``BCache/run()``,
/// ``BCache/start()`` and ``BCache/shutdown()``.
final class Lifecycle: Sendable {
    enum Phase: Sendable {
        case idle, running, stopped
    }

    let phase = Mutex(Phase.idle)
    /// Set by ``BCache/shutdown()``, graceful shutdown, or the membership node stopping.
    let shutdownRequested = OneShot<Void>()
    /// The outcome of joining the seeds.
    let joined = OneShot<Result<Void, BCacheError>>()
    /// Set when `run()` has returned.
    let finished = OneShot<Void>()
    /// Set before ``finished`` when the membership node stopped without being asked to (its
    /// transport closed under it), which stopped the cache.
    let stoppedByItself = OneShot<Void>()

    /// Moves from idle to running.
    ///
    /// - Throws: ``BCacheError/Code/alreadyStarted`` or ``BCacheError/Code/stopped``.
    func claimRun() throws(BCacheError) {
        let previous = phase.withLock { phase in
            defer { if phase == .idle { phase = .running } }
            return phase
        }
        switch previous {
        case .idle: return
        case .running: throw BCacheError(.alreadyStarted, "the cache is already running")
        case .stopped: throw BCacheError(.stopped, "the cache has shut down; make a new one")
        }
    }

    /// Moves to stopped; returns whether the cache never ran.
    func markStopped() -> Bool {
        phase.withLock { phase in
            defer { phase = .stopped }
            return phase == .idle
        }
    }
}
