import BCache
import BCacheMembership

/// Runs the node's line commands against a cache: the part of `bcache node` that needs no
/// process, terminal or socket, so that tests drive it on an in-memory network.
///
/// Every line gets exactly one reply (blank lines and `#` comments none); a bad line is an
/// ``ConsoleReply/error(_:)`` reply, never a crash.
public struct ConsoleInterpreter: Sendable {
    /// The cache the commands read and write.
    public let cache: BCache

    public init(cache: BCache) {
        self.cache = cache
    }

    /// The reply to one line, or nil for a blank line or a comment.
    public func reply(to line: some StringProtocol) -> ConsoleReply? {
        do {
            guard let command = try ConsoleCommand.parse(line) else { return nil }
            return execute(command)
        } catch {
            return .error(error)
        }
    }

    /// The reply to one parsed command. `quit` only answers ``ConsoleReply/bye``: leaving is the
    /// caller's part.
    public func execute(_ command: ConsoleCommand) -> ConsoleReply {
        switch command {
        case .set(let key, let value, let ttl):
            do {
                try cache.set(key, value, ttl: ttl)
                return .ok
            } catch {
                return .error(ConsoleError(.refused, "\(error)"))
            }
        case .get(let key):
            return cache.get(key).map(ConsoleReply.value) ?? .notFound
        case .delete(let key):
            cache.delete(key)
            return .ok
        case .members:
            return .members(memberLines())
        case .stats:
            return .stats(statistics())
        case .digest:
            return .digest(
                ConsoleReply.Digest(
                    value: cache.storeDigest, entries: cache.count, tombstones: cache.storeTombstoneCount))
        case .help:
            return .help
        case .quit:
            return .bye
        }
    }

    /// The members sorted by name, this node marked.
    private func memberLines() -> [ConsoleReply.MemberLine] {
        let localName = cache.name
        return cache.members.sorted { $0.name < $1.name }.map { member in
            ConsoleReply.MemberLine(
                name: member.name, status: Self.word(for: member.status), address: "\(member.identity.address)",
                isLocal: member.name == localName)
        }
    }

    /// The figures a script or the demo needs to see convergence, joins and syncs.
    private func statistics() -> [ConsoleReply.Statistic] {
        let members = cache.members
        let counters = cache.statistics
        return [
            .init("entries", cache.count),
            .init("members_alive", members.filter { $0.status.isAlive }.count),
            .init("members_suspect", members.filter { $0.status.isSuspect }.count),
            .init("members_dead", members.filter { $0.status.isDead }.count),
            .init("members_left", members.filter { $0.status.hasLeft }.count),
            .init("hits", counters.hits),
            .init("misses", counters.misses),
            .init("sets", counters.sets),
            .init("deletes", counters.deletes),
            .init("payloads_received", counters.payloadsReceived),
            .init("records_applied", counters.recordsApplied),
            .init("sync_rounds", counters.syncRounds),
            .init("sync_records_sent", counters.syncRecordsSent),
            .init("sync_records_received", counters.syncRecordsReceived),
            .init("decode_failures", counters.decodeFailures),
        ]
    }

    /// The protocol's word for a membership status.
    static func word(for status: Membership.Status) -> String {
        switch status {
        case .alive: return "alive"
        case .suspect: return "suspect"
        case .dead: return "dead"
        case .left: return "left"
        }
    }
}
