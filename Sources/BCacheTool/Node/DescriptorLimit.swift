import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's limit on open file descriptors, raised by `bcache node` from its soft to its
/// hard value at start (as Go's runtime does since 1.19): the common soft default of 1,024 is low
/// for a server keeping connections to every member, and a Swift process on Linux that runs out
/// of descriptors is terminated by libdispatch's worker monitor (`Docs/RELIABILITY.md`, "TCP
/// socket faults"). The library leaves the limit to its host; the tool is a host.
enum DescriptorLimit {
    /// The soft and hard limits now, nil when they cannot be read.
    static var current: (soft: UInt64, hard: UInt64)? {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return nil }
        return (UInt64(limit.rlim_cur), UInt64(limit.rlim_max))
    }

    /// Raises the soft limit to the hard one; logs what it did, or why not.
    static func raiseToHardLimit(logger: Logger) {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else {
            logger.debug("cannot read the descriptor limit", metadata: ["errno": "\(errno)"])
            return
        }
        guard limit.rlim_cur < limit.rlim_max else { return }
        let before = limit.rlim_cur
        limit.rlim_cur = limit.rlim_max
        guard setrlimit(resource, &limit) == 0 else {
            logger.info(
                "cannot raise the descriptor limit; keep it well above the cluster's size (ulimit -n)",
                metadata: ["soft": "\(before)", "hard": "\(limit.rlim_max)", "errno": "\(errno)"])
            return
        }
        logger.debug("raised the descriptor limit", metadata: ["from": "\(before)", "to": "\(limit.rlim_max)"])
    }

    #if canImport(Glibc)
        static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
        static let resource = RLIMIT_NOFILE
    #endif
}
