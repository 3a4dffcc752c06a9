#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The CPU time the calling thread has used, to tell how much of a timed round's wall time
/// the benchmark actually ran: on a machine shared with other work, wall time includes time
/// the scheduler gave to other processes.
enum ThreadCPUTime {
    /// Nanoseconds of CPU the calling thread has used (`CLOCK_THREAD_CPUTIME_ID`).
    static func nanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }
}
