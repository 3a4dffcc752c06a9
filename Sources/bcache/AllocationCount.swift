import CAllocationCounter

/// The calling thread's heap allocations, counted by the malloc interposer of the
/// `CAllocationCounter` target (see its source): the bench reads the count before and after a
/// timed loop. Not available under sanitizers or off Linux/glibc: then nil.
enum AllocationCount {
    /// Whether this build counts allocations.
    static let isAvailable = bcache_allocation_counting_available() != 0

    /// The allocations this thread has made since it started, or nil when not counted.
    @inline(__always)
    static func thisThread() -> UInt64? {
        isAvailable ? bcache_thread_allocation_count() : nil
    }
}
