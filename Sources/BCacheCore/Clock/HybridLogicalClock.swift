/// A hybrid logical clock (Kulkarni et al., 2014): timestamps that follow wall time, never go
/// backwards, and order every write after every timestamp the node has seen.
///
/// A value type with no lock: the owner (the store) keeps it behind its own lock. The wall time is
/// passed in, so tests control it.
public struct HybridLogicalClock: Sendable {
    /// The latest timestamp issued or received.
    public private(set) var last: HybridTimestamp

    /// How far ahead of the local wall clock a remote timestamp may be before it is refused.
    /// Defaults to 60 seconds.
    public var maxDriftMillis: UInt64

    /// A clock that has issued nothing after `last`, refusing remote timestamps more than
    /// `maxDriftMillis` ahead of the wall clock.
    public init(maxDriftMillis: UInt64 = 60_000, last: HybridTimestamp = .zero) {
        self.maxDriftMillis = maxDriftMillis
        self.last = last
    }

    /// A new timestamp for a local event (a write), greater than every earlier one.
    public mutating func tick(wallMillis: UInt64) -> HybridTimestamp {
        let wall = min(wallMillis, HybridTimestamp.maxPhysicalMillis)
        if wall > last.physicalMillis {
            last = HybridTimestamp(physicalMillis: wall, logical: 0)
        } else {
            last = Self.successor(of: last)
        }
        return last
    }

    /// Folds a remote timestamp into the clock, so that the next local timestamp is greater.
    ///
    /// - Throws: ``ClockError/remoteTooFarAhead(remote:localWallMillis:maxDriftMillis:)`` when the
    ///   remote physical time is more than ``maxDriftMillis`` ahead of `wallMillis`; the clock is
    ///   then left unchanged, so one node with a broken clock cannot drag the cluster into the future.
    @discardableResult
    public mutating func receive(_ remote: HybridTimestamp, wallMillis: UInt64) throws(ClockError)
        -> HybridTimestamp
    {
        let wall = min(wallMillis, HybridTimestamp.maxPhysicalMillis)
        if remote.physicalMillis > wall, remote.physicalMillis - wall > maxDriftMillis {
            throw .remoteTooFarAhead(remote: remote, localWallMillis: wall, maxDriftMillis: maxDriftMillis)
        }
        let physical = max(wall, last.physicalMillis, remote.physicalMillis)
        if physical == last.physicalMillis, physical == remote.physicalMillis {
            last = Self.successor(of: max(last, remote))
        } else if physical == last.physicalMillis {
            last = Self.successor(of: last)
        } else if physical == remote.physicalMillis {
            last = Self.successor(of: remote)
        } else {
            last = HybridTimestamp(physicalMillis: physical, logical: 0)
        }
        return last
    }

    /// The next timestamp after `t`: the logical counter plus one, or, when the counter is full,
    /// the next millisecond (borrowing from the future rather than wrapping or trapping).
    private static func successor(of t: HybridTimestamp) -> HybridTimestamp {
        if t.logical < UInt16.max {
            return HybridTimestamp(rawValue: t.rawValue + 1)
        }
        return HybridTimestamp(physicalMillis: min(t.physicalMillis + 1, HybridTimestamp.maxPhysicalMillis), logical: 0)
    }
}

/// Why the clock refused a remote timestamp.
public enum ClockError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The remote physical time is further ahead of the local wall clock than the allowed drift.
    case remoteTooFarAhead(remote: HybridTimestamp, localWallMillis: UInt64, maxDriftMillis: UInt64)

    public var description: String {
        switch self {
        case .remoteTooFarAhead(let remote, let local, let drift):
            "remote timestamp \(remote) is \(remote.physicalMillis - local) ms ahead of the local wall clock (\(local)); the maximum drift is \(drift) ms"
        }
    }
}
