import ArgumentParser

/// How the propagation benchmark notices that a write reached another node.
enum VisibilityDetection: String, CaseIterable, Sendable, ExpressibleByArgument {
    /// A synchronous observer on every watching node stamps each remote set on the thread that
    /// merged it, the instant `get` can return it: no thread hop, no busy processor.
    case merge
    /// A task per watching node reads its change stream (`makeChangeStream`) and stamps each
    /// remote set as it arrives: no CPU spent while waiting, but the stamp includes the hop
    /// from the merging thread to the reading task.
    case stream
    /// A dedicated thread calls `get` on every watching node in a tight loop for every probe
    /// not yet seen: the stamp is as close to the merge as a reader can be, at the cost of one
    /// busy processor during the phase.
    case poll

    /// The sentence the report prints.
    var explanation: String {
        switch self {
        case .merge: "visibility stamped when each watching node merges the set (a synchronous observer, no thread hop)"
        case .stream: "visibility detected through each watching node's change stream (a task stamps each remote set)"
        case .poll: "visibility detected by a thread polling get on the watching nodes in a tight loop"
        }
    }
}
