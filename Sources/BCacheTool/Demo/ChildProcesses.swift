import Foundation
import Synchronization

/// The node processes the demo has running, so that every exit path (the end, an error, a
/// Ctrl-C) kills them all: the demo leaves no process behind.
final class ChildProcesses: Sendable {
    /// The process-wide registry: a signal handler has no other way to reach it.
    static let shared = ChildProcesses()

    private let running = Mutex<Set<pid_t>>([])

    func add(_ pid: pid_t) {
        running.withLock { _ = $0.insert(pid) }
    }

    func remove(_ pid: pid_t) {
        running.withLock { _ = $0.remove(pid) }
    }

    /// Sends SIGKILL to every child still registered and forgets them.
    func killAll() {
        let pids = running.withLock { pids in
            defer { pids.removeAll() }
            return pids
        }
        for pid in pids { Self.kill(pid) }
    }

    /// Sends SIGKILL to `pid`.
    static func kill(_ pid: pid_t) {
        _ = signalProcess(pid, SIGKILL)
    }
}

/// The C `kill`, under a name no method hides.
private func signalProcess(_ pid: pid_t, _ signal: Int32) -> Int32 {
    kill(pid, signal)
}
