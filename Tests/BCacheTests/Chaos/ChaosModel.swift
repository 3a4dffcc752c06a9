import BCacheCore

/// The chaos test's own account of what the cluster must converge to: every write made, with its
/// version, and what each running process was seen to hold.
///
/// **Acknowledged.** The cache replicates asynchronously, so a write can die with its node: a
/// process that crashes loses whatever it had not passed on. A write counts as *acknowledged*
/// when a process that is still running at the end (never crashed since) was seen holding it or a
/// newer version of its key, either because it made the write or because an observation (every
/// simulated second, and just before every crash) found it there. A node's version of a key never
/// goes backwards (merges keep the greater version, local writes take a newer one, expired values
/// become tombstones of the same version, and no tombstone is purged within the run), so an
/// acknowledged write can only be replaced by a newer write, never lost.
///
/// **Expected outcome.** For each key, the acknowledged write with the greatest version (hybrid
/// timestamp, then node id) is the expected winner: its value, or absent when it is a delete or
/// its TTL has passed. Every live node must hold exactly that version, unless an unacknowledged
/// write of the key with a greater version survived (it reached someone before its node
/// crashed); then they must all hold that write. An older version, a value nobody wrote, or two
/// nodes that differ is a failure.
struct ChaosModel {
    /// One write made by the test through a node's public API.
    struct Write {
        enum Kind: Equatable {
            case set(value: [UInt8], expiresAtMillis: UInt64)
            case delete
        }

        var key: String
        var kind: Kind
        /// `node-<slot>`, incarnation `incarnation` (a global counter of processes started).
        var slot: Int
        var incarnation: Int
        /// The version the node gave it; nil when a newer remote write replaced it in the
        /// moment between the write and reading it back (counted in ``dominatedAtBirth``).
        var version: Version?

        /// What a read returns once everything has converged at `nowMillis`.
        func read(at nowMillis: UInt64) -> [UInt8]? {
            guard case .set(let value, let expiresAt) = kind, nowMillis < expiresAt else { return nil }
            return value
        }
    }

    private(set) var writes: [Write] = []
    private var byVersion: [Version: Int] = [:]
    /// The store identity of each incarnation, to attribute a version whose write is unknown.
    private var nodeIDs: [Int: NodeID] = [:]
    /// Per running incarnation, the greatest version seen for each key.
    private var floors: [Int: [String: Version]] = [:]
    /// Writes whose version could not be read back.
    private(set) var dominatedAtBirth = 0

    /// Starts following a new process.
    mutating func started(incarnation: Int, nodeID: NodeID) {
        nodeIDs[incarnation] = nodeID
        floors[incarnation] = [:]
    }

    /// Forgets what a crashed process held: it acknowledges nothing any more.
    mutating func crashed(incarnation: Int) {
        floors[incarnation] = nil
    }

    /// Records a write, and counts it as held by its own process.
    mutating func record(_ write: Write) {
        if let version = write.version {
            byVersion[version] = writes.count
            raiseFloor(incarnation: write.incarnation, key: write.key, to: version)
        } else {
            dominatedAtBirth += 1
        }
        writes.append(write)
    }

    /// Records what a running process holds now (key → version).
    mutating func observe(incarnation: Int, holding versions: [String: Version]) {
        for (key, version) in versions { raiseFloor(incarnation: incarnation, key: key, to: version) }
    }

    private mutating func raiseFloor(incarnation: Int, key: String, to version: Version) {
        guard floors[incarnation] != nil else { return }
        if let current = floors[incarnation]![key], current >= version { return }
        floors[incarnation]![key] = version
    }

    // MARK: Verdict

    /// What one live node holds for a key at the end.
    struct Observed: Equatable {
        var version: Version?
        var value: [UInt8]?
    }

    /// Tallies of a verdict.
    struct Verdict {
        var violations: [String] = []
        /// Keys whose outcome is the acknowledged winner.
        var exact = 0
        /// Keys won by an unacknowledged write that survived its node's crash.
        var unacknowledgedSurvivors = 0
        /// Keys never acknowledged and absent everywhere.
        var neverWritten = 0
    }

    /// Checks the nodes' final contents (`observed[node][key]`, live nodes only) against the model.
    func verdict(keys: [String], observed: [String: [String: Observed]], nowMillis: UInt64) -> Verdict {
        var verdict = Verdict()
        let acknowledged = acknowledgedWinners()
        for key in keys {
            let views = observed.mapValues { $0[key] ?? Observed() }
            let distinct = Set(views.values.map { "\($0.version.map(describe) ?? "none") \(render($0.value))" })
            guard distinct.count == 1, let view = views.values.first else {
                let detail = views.sorted { $0.key < $1.key }
                    .map { "\($0.key): \($0.value.version.map(describe) ?? "none") \(render($0.value.value))" }
                verdict.violations.append("\(key): live nodes differ: \(detail.joined(separator: "; "))")
                continue
            }
            let expected = acknowledged[key]
            if let expected, view.version == expected {
                // The same check as for a survivor: a write the test made, read as it says.
                if let problem = survivorProblem(key: key, view: view, version: expected, nowMillis: nowMillis) {
                    verdict.violations.append(problem)
                } else {
                    verdict.exact += 1
                }
            } else if let version = view.version, expected.map({ version > $0 }) ?? true {
                if let problem = survivorProblem(key: key, view: view, version: version, nowMillis: nowMillis) {
                    verdict.violations.append(problem)
                } else {
                    verdict.unacknowledgedSurvivors += 1
                }
            } else if let expected {
                verdict.violations.append(
                    "\(key): lost the acknowledged write \(describe(expected)) "
                        + "(\(byVersion[expected].map { writes[$0].summary } ?? "version not read back")); nodes hold "
                        + "\(view.version.map(describe) ?? "nothing")")
            } else {
                verdict.neverWritten += 1
            }
        }
        return verdict
    }

    /// Per key, the greatest version a still-running process was seen holding.
    func acknowledgedWinners() -> [String: Version] {
        var winners: [String: Version] = [:]
        for floor in floors.values {
            for (key, version) in floor where winners[key].map({ version > $0 }) ?? true { winners[key] = version }
        }
        return winners
    }

    /// Why a surviving unacknowledged version is wrong, or nil when it is a write the test made
    /// (or one replaced at birth by its own node, whose version was never read back).
    private func survivorProblem(key: String, view: Observed, version: Version, nowMillis: UInt64) -> String? {
        if let index = byVersion[version] {
            let write = writes[index]
            guard write.key == key else { return "\(key): holds \(describe(version)), a version of key \(write.key)" }
            guard view.value == write.read(at: nowMillis) else {
                return "\(key): holds \(describe(version)) but reads \(render(view.value)); "
                    + "the write says \(render(write.read(at: nowMillis)))"
            }
            return nil
        }
        let candidates = writes.filter { write in
            write.version == nil && write.key == key && nodeIDs[write.incarnation] == version.node
                && view.value == write.read(at: nowMillis)
        }
        return candidates.isEmpty ? "\(key): holds \(describe(version)), which no write of the test made" : nil
    }

    private func describe(_ version: Version) -> String {
        "v(\(version.timestamp), \(version.node))"
    }

    private func render(_ value: [UInt8]?) -> String {
        guard let value else { return "absent" }
        let text = String(decoding: value.prefix(24), as: UTF8.self)
        return value.count > 24 ? "\"\(text)…\" (\(value.count) B)" : "\"\(text)\""
    }
}

extension ChaosModel.Write {
    var summary: String {
        switch kind {
        case .set(let value, let expiresAt):
            let ttl = expiresAt == .max ? "" : " until \(expiresAt)"
            return "set by node-\(slot)#\(incarnation) of \(value.count) B\(ttl)"
        case .delete:
            return "delete by node-\(slot)#\(incarnation)"
        }
    }
}
