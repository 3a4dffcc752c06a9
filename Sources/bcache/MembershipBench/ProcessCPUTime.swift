#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The CPU time the whole process has used: the membership benchmark runs on one thread, and
/// the figure it reports is the process's (the simulation included), per node per simulated second.
enum ProcessCPUTime {
    /// Nanoseconds of CPU the process has used (`CLOCK_PROCESS_CPUTIME_ID`).
    static func nanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }
}
