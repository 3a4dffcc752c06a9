/// Tasks waiting for one outcome (a membership join's, a leave's), resolved together.
///
/// A slot is registered before the request that will resolve it, so that an outcome arriving
/// before the task suspends is kept rather than lost. A plain value: its owner keeps it under its
/// own lock and resumes the continuations it returns outside that lock.
package struct WaiterSlots<Outcome: Sendable>: Sendable {
    private enum Slot {
        case pending
        case waiting(CheckedContinuation<Outcome, Never>)
        case resolved(Outcome)
    }

    private var slots: [UInt64: Slot] = [:]
    private var nextID: UInt64 = 0

    package init() {}

    /// A new pending slot, for a task about to wait.
    package mutating func register() -> UInt64 {
        nextID += 1
        slots[nextID] = .pending
        return nextID
    }

    /// Parks `continuation` in slot `id`; returns the outcome instead if it already came.
    package mutating func attach(_ id: UInt64, _ continuation: CheckedContinuation<Outcome, Never>) -> Outcome? {
        guard let slot = slots[id] else { return nil }
        if case .resolved(let outcome) = slot {
            slots[id] = nil
            return outcome
        }
        slots[id] = .waiting(continuation)
        return nil
    }

    /// Forgets slot `id` (its task will not wait after all).
    package mutating func remove(_ id: UInt64) {
        slots[id] = nil
    }

    /// Removes slot `id`, returning its parked continuation if any (for a cancelled waiter).
    package mutating func take(_ id: UInt64) -> CheckedContinuation<Outcome, Never>? {
        guard case .waiting(let continuation) = slots.removeValue(forKey: id) else { return nil }
        return continuation
    }

    /// Resolves every slot: returns the parked continuations to resume with `outcome`.
    package mutating func resolveAll(_ outcome: Outcome) -> [CheckedContinuation<Outcome, Never>] {
        var continuations: [CheckedContinuation<Outcome, Never>] = []
        for (id, slot) in slots {
            switch slot {
            case .pending:
                slots[id] = .resolved(outcome)
            case .waiting(let continuation):
                continuations.append(continuation)
                slots[id] = nil
            case .resolved:
                break
            }
        }
        return continuations
    }
}
