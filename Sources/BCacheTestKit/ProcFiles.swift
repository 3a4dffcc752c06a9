#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads `/proc` files and links with POSIX calls, for the tests that look for processes.
///
/// Not `FileManager`: on Linux, `FileManager.contents(atPath:)` of a `/proc` file (size 0 to
/// `stat`) leaks a 4 KiB buffer per read (allocated in Foundation's `readBytesFromFile`), so the
/// tests that scan `/proc` for left-over node processes made LeakSanitizer report 700 KB that
/// were Foundation's, not theirs.
package enum ProcFiles {
    /// The whole contents of `path`, or nil when it cannot be opened or read (a process that
    /// exited between the listing and the read).
    package static func contents(of path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4_096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    /// Where the symbolic link `path` points (`/proc/self/exe`), or nil.
    package static func linkDestination(of path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
