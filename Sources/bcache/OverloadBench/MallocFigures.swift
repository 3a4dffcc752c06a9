import CMallocInfo

/// What glibc's allocator holds (`mallinfo2`), beside resident memory: freed memory stays
/// resident in malloc's arenas until it is trimmed, so resident memory alone cannot tell a live
/// queue from the allocator's free pages.
enum MallocFigures {
    /// Bytes allocated and not yet freed, or nil where `mallinfo2` does not exist (not glibc).
    static func liveBytes() -> Int? {
        let bytes = bcache_malloc_live_bytes()
        return bytes < 0 ? nil : Int(bytes)
    }

    /// Bytes malloc holds from the system (live or free), or nil where `mallinfo2` does not exist.
    static func heldBytes() -> Int? {
        let bytes = bcache_malloc_held_bytes()
        return bytes < 0 ? nil : Int(bytes)
    }
}
