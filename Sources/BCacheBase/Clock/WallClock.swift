import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The source of wall time, in milliseconds since the Unix epoch.
///
/// Injected everywhere time matters (clock, TTLs, tombstone purge) so that tests control time
/// instead of waiting for it.
public struct WallClock: Sendable {
    private let read: @Sendable () -> UInt64

    /// A wall clock that reads `read()` each time it is asked.
    public init(_ read: @escaping @Sendable () -> UInt64) {
        self.read = read
    }

    /// Milliseconds since the Unix epoch.
    public func nowMillis() -> UInt64 { read() }

    /// The system's real-time clock (`CLOCK_REALTIME`).
    public static let system = WallClock {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UInt64(spec.tv_sec) &* 1000 &+ UInt64(spec.tv_nsec) / 1_000_000
    }
}

/// A wall clock that moves only when told: for tests and simulations.
///
/// Thread-safe; many tasks may read it while one advances it.
public final class ManualWallClock: Sendable {
    private let millis: Atomic<UInt64>

    /// A clock that starts at `startMillis` (default: 2026-01-01T00:00:00Z).
    public init(startMillis: UInt64 = 1_767_225_600_000) {
        self.millis = Atomic(startMillis)
    }

    /// The current manual time.
    public var nowMillis: UInt64 { millis.load(ordering: .relaxed) }

    /// Moves time forward by `deltaMillis`.
    public func advance(byMillis deltaMillis: UInt64) {
        millis.wrappingAdd(deltaMillis, ordering: .relaxed)
    }

    /// Sets the time, backwards too (to test a wall clock that steps back).
    public func set(millis newValue: UInt64) {
        millis.store(newValue, ordering: .relaxed)
    }

    /// This clock as a ``WallClock``.
    public var wallClock: WallClock {
        WallClock { [self] in self.nowMillis }
    }
}
