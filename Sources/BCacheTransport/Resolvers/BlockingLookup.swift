import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One `getaddrinfo` call on a detached POSIX thread, awaited by a task that may be cancelled.
final class BlockingLookup: Sendable {
    private enum Progress {
        case waiting(CheckedContinuation<[String], any Error>)
        case notStarted
        case done
    }

    private let host: String
    private let progress = Mutex(Progress.notStarted)

    private init(host: String) {
        self.host = host
    }

    /// The numeric hosts for `host`, deduplicated, in the resolver's order.
    static func run(host: String) async throws -> [String] {
        let lookup = BlockingLookup(host: host)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let cancelledAlready = lookup.progress.withLock { progress in
                    if Task.isCancelled {
                        progress = .done
                        return true
                    }
                    progress = .waiting(continuation)
                    return false
                }
                if cancelledAlready {
                    continuation.resume(throwing: CancellationError())
                } else {
                    lookup.start()
                }
            }
        } onCancel: {
            lookup.complete(with: .failure(CancellationError()))
        }
    }

    private func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, blockingLookupThreadMain, context)
        if created == 0 {
            pthread_detach(thread)
        } else {
            // No thread to be had: run inline rather than fail. This blocks the calling
            // thread for the duration of the lookup.
            Unmanaged<BlockingLookup>.fromOpaque(context).release()
            perform()
        }
    }

    fileprivate func perform() {
        complete(with: Result { try Self.lookUp(host) })
    }

    private func complete(with result: Result<[String], any Error>) {
        let continuation: CheckedContinuation<[String], any Error>? = progress.withLock { progress in
            guard case .waiting(let continuation) = progress else {
                progress = .done
                return nil
            }
            progress = .done
            return continuation
        }
        continuation?.resume(with: result)
    }

    private static func lookUp(_ host: String) throws -> [String] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc) || canImport(Musl)
            hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        #else
            hints.ai_socktype = SOCK_DGRAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else {
            let reason = String(cString: gai_strerror(status))
            throw TransportError(.unreachable, "cannot resolve '\(host)': \(reason)")
        }
        defer { freeaddrinfo(list) }
        var hosts: [String] = []
        var entry = list
        while let current = entry {
            if let text = numericHost(current.pointee), !hosts.contains(text) {
                hosts.append(text)
            }
            entry = current.pointee.ai_next
        }
        guard !hosts.isEmpty else {
            throw TransportError(.unreachable, "cannot resolve '\(host)': no IPv4 or IPv6 address")
        }
        return hosts
    }

    /// The numeric form of one result (`127.0.0.1`, `::1`, `fe80::1%eth0`), nil for families
    /// other than IPv4 and IPv6.
    private static func numericHost(_ info: addrinfo) -> String? {
        guard let address = info.ai_addr, info.ai_family == AF_INET || info.ai_family == AF_INET6 else {
            return nil
        }
        var buffer = [CChar](repeating: 0, count: 256)
        let status = getnameinfo(
            address, info.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST)
        guard status == 0 else { return nil }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

#if canImport(Darwin)
    private func blockingLookupThreadMain(_ context: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
        Unmanaged<BlockingLookup>.fromOpaque(context).takeRetainedValue().perform()
        return nil
    }
#else
    private func blockingLookupThreadMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
        guard let context else { return nil }
        Unmanaged<BlockingLookup>.fromOpaque(context).takeRetainedValue().perform()
        return nil
    }
#endif
