/// The operating system's resolver (`getaddrinfo`): `/etc/hosts`, then DNS.
///
/// `getaddrinfo` blocks, for as long as DNS takes. Blocking a thread of Swift's cooperative pool
/// (one thread per core) would stall unrelated tasks, so each lookup runs on its own short-lived
/// detached POSIX thread and the caller awaits it. Lookups are rare (seeds at start-up, new
/// members), so a thread per lookup costs nothing that matters. Cancelling the awaiting task
/// returns at once with `CancellationError`; the thread finishes its lookup and discards it.
/// If the system refuses to create a thread, the lookup runs inline, blocking briefly.
///
/// IP literals resolve to themselves without a lookup.
///
/// # Usage
///
/// ```swift
/// let addresses = try await SystemResolver().resolve(NodeAddress(host: "localhost", port: 7946))
/// // e.g. [127.0.0.1:7946, [::1]:7946]
/// ```
public struct SystemResolver: AddressResolver {
    /// The system resolver; it holds no state.
    public init() {}

    public func resolve(_ address: NodeAddress) async throws -> [NodeAddress] {
        guard address.kind == .name else { return [address] }
        let hosts = try await BlockingLookup.run(host: address.host)
        return hosts.map { NodeAddress(host: $0, port: address.port) }
    }
}
