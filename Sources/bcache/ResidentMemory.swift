#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's resident memory, read from `/proc/self/statm` (Linux).
enum ResidentMemory {
    /// Resident bytes now, or `nil` where `/proc/self/statm` does not exist.
    ///
    /// The file holds page counts: `size resident shared text lib data dt`.
    static func currentBytes() -> Int? {
        guard let file = fopen("/proc/self/statm", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 256)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let residentPages = Int(fields[1]) else { return nil }
        return residentPages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Hands memory that earlier measurements freed back to the system, so that the next
    /// measurement's growth is not hidden by the allocator reusing it.
    ///
    /// glibc's `malloc_trim` is declared in `<malloc.h>`, which the Glibc module does not
    /// export, so it is looked up by name; elsewhere this does nothing.
    static func releaseFreedMemory() {
        #if canImport(Glibc)
            typealias MallocTrim = @convention(c) (Int) -> Int32
            // RTLD_DEFAULT is the null handle on Linux: search every loaded object.
            guard let symbol = dlsym(nil, "malloc_trim") else { return }
            _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }
}
