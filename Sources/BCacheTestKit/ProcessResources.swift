#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the process holds at one moment, read from `/proc/self` (Linux): open file descriptors,
/// resident memory and threads. For the tests that show a cache gives back what it took, and for
/// the `bcache` benchmarks' memory figures.
package struct ProcessResources: Sendable, CustomStringConvertible {
    package var openFileDescriptors: Int
    package var residentBytes: Int
    package var threads: Int

    package var description: String {
        "\(openFileDescriptors) fds, \(residentBytes / 1_048_576) MiB resident, \(threads) threads"
    }

    /// The process now; nil where `/proc/self` does not exist.
    package static func now() -> ProcessResources? {
        guard let descriptors = countEntries(of: "/proc/self/fd"), let resident = currentResidentBytes(),
            let threads = countEntries(of: "/proc/self/task")
        else { return nil }
        return ProcessResources(openFileDescriptors: descriptors, residentBytes: resident, threads: threads)
    }

    /// Resident bytes now (`/proc/self/statm`), or nil where that file does not exist.
    package static func currentResidentBytes() -> Int? {
        residentPages().map { $0 * Int(sysconf(Int32(_SC_PAGESIZE))) }
    }

    /// Whether a sanitizer's runtime is loaded: ASan keeps freed memory in a quarantine (256 MB
    /// by default) and TSan shadows every allocation, so resident memory says nothing then.
    package static var isSanitized: Bool {
        dlsym(nil, "__asan_init") != nil || dlsym(nil, "__tsan_init") != nil
    }

    /// Hands freed memory back to the system (glibc's `malloc_trim`, looked up by name: the Glibc
    /// module does not export `<malloc.h>`), so resident memory shows what is still in use, and
    /// the next measurement's growth is not hidden by the allocator reusing it. Elsewhere (no
    /// `malloc_trim`) it does nothing.
    package static func releaseFreedMemory() {
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(nil, "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
    }

    /// Entries of a directory, without `.` and `..` (the directory stream's own descriptor is
    /// open while counting `/proc/self/fd`: it is left out too).
    private static func countEntries(of path: String) -> Int? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
                name[0] == UInt8(ascii: ".") && (name[1] == 0 || (name[1] == UInt8(ascii: ".") && name[2] == 0))
            }
            if !isDot { count += 1 }
        }
        return path == "/proc/self/fd" ? count - 1 : count
    }

    /// `/proc/self/statm` holds page counts: `size resident shared text lib data dt`.
    private static func residentPages() -> Int? {
        guard let fields = firstLine(ofFile: "/proc/self/statm")?.split(separator: " "), fields.count >= 2 else {
            return nil
        }
        return Int(fields[1])
    }

    /// The first line of a small text file such as those of `/proc` and `/sys` (up to 255
    /// bytes), without its line end; nil if the file cannot be read.
    package static func firstLine(ofFile path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 256)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let bytes = buffer.prefix { $0 != 0 && $0 != 0x0a }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
