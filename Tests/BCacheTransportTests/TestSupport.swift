import BCacheTransport

/// A wait in a test that took longer than its deadline.
struct TestTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Runs `operation`, throwing ``TestTimeout`` if it takes longer than `timeout`.
func withTimeout<T: Sendable>(
    _ what: String, _ timeout: Duration = .seconds(5), _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let result = first else { throw TestTimeout(what: what) }
        return result
    }
}

/// Polls `condition` until it holds, throwing ``TestTimeout`` after `timeout`.
func waitUntil(_ what: String, _ timeout: Duration = .seconds(5), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { throw TestTimeout(what: what) }
        try await Task.sleep(for: .milliseconds(1))
    }
}

extension InMemoryTransport {
    /// The next `count` packets, in arrival order.
    func receive(_ count: Int, timeout: Duration = .seconds(5)) async throws -> [IncomingPacket] {
        let packets = incomingPackets
        return try await withTimeout("\(count) packets at \(localAddress)", timeout) {
            var iterator = packets.makeAsyncIterator()
            var received: [IncomingPacket] = []
            while received.count < count, let packet = await iterator.next() { received.append(packet) }
            return received
        }
    }

    /// Every packet already delivered and not yet read, without waiting.
    func drain() async throws -> [IncomingPacket] {
        try await receive(unreadPacketCount)
    }
}

extension NodeAddress {
    /// `10.0.<n / 250>.<n % 250 + 1>:7946`, a distinct address per node number.
    static func node(_ number: Int) -> NodeAddress {
        NodeAddress(host: "10.0.\(number / 250).\(number % 250 + 1)", port: 7946)
    }
}
