import BCacheSecure
import Foundation

/// The demo's story, run against three real `bcache node` processes on 127.0.0.1.
///
/// Synchronous on purpose: each step sends commands and polls replies through pipes with
/// deadlines, in the order a person reads them. Every wait has a timeout that ends the demo with
/// a ``DemoError``; the caller kills whatever still runs.
final class DemoScenario {
    /// How much data the demo moves: `--quick` for the test suite, the default for people.
    struct Size {
        /// Keys written before node 3 is killed.
        var preload: Int
        /// Keys written while node 3 is down (it must sync them on restart).
        var whileDown: Int
        /// Keys of the final burst.
        var burst: Int

        static let full = Size(preload: 1_000, whileDown: 300, burst: 5_000)
        static let quick = Size(preload: 100, whileDown: 50, burst: 500)
    }

    /// One line of the summary table.
    struct Row {
        let what: String
        let figure: String
    }

    static let stepCount = 8
    private static let keyVariable = "BCACHE_DEMO_KEY"
    private let executable: String
    private let size: Size
    private let narrator = Narrator(stepCount: DemoScenario.stepCount)
    private let timeout: Duration = .seconds(30)
    private var nodes: [NodeProcess] = []
    private(set) var summary: [Row] = []

    init(executable: String, size: Size) {
        self.executable = executable
        self.size = size
    }

    /// Runs every step and prints the summary; the rows stay in ``summary``.
    func run() throws {
        let key = try SecretKey.generate()
        try join(key: key.exportBase64(), keyID: "\(key.id)")
        try propagate()
        try preload()
        try killNode3()
        try restartNode3(key: key.exportBase64())
        try burst()
        try leave()
        printSummary()
    }

    // MARK: Steps

    private func join(key: String, keyID: String) throws {
        narrator.step(1, "Three nodes join an encrypted cluster through one seed")
        narrator.say("fresh cluster key \(keyID), given to every node in \(Self.keyVariable)")
        let start = ContinuousClock.now
        let seed = try spawn("node1", seed: nil, key: key)
        narrator.say("node1 is the seed, listening on \(seed.address)")
        for name in ["node2", "node3"] {
            let node = try spawn(name, seed: seed.address, key: key)
            narrator.say("\(name) listening on \(node.address), joined through node1")
        }
        let joined = try waitUntil("every node sees 3 members alive") {
            try nodes.allSatisfy { try $0.members().values.filter { $0 == "alive" }.count == 3 }
        }
        let total = start.duration(to: .now)
        narrator.say(
            "every node sees 3 members alive (\(joined.readable) after the last start, \(total.readable) in all)")
        summary.append(Row(what: "3 processes started, joined through one seed", figure: total.readable))
    }

    private func propagate() throws {
        narrator.step(2, "A write on one node is read on the others")
        let set = try measure(
            on: 0, command: "set greeting hello", key: "greeting", expecting: "hello", label: "set on node1")
        summary.append(Row(what: "set on node1, read on node2 / node3", figure: set))
        let update = try measure(
            on: 1, command: "set greeting bonjour", key: "greeting", expecting: "bonjour", label: "update on node2")
        summary.append(Row(what: "update on node2, read on node1 / node3", figure: update))
        let delete = try measure(
            on: 2, command: "del greeting", key: "greeting", expecting: nil, label: "delete on node3")
        summary.append(Row(what: "delete on node3, gone on node1 / node2", figure: delete))
    }

    private func preload() throws {
        narrator.step(3, "\(size.preload) keys written on node1 reach every node")
        let start = ContinuousClock.now
        try nodes[0].sendAll((0..<size.preload).map { "set user:\($0) profile-\($0)" })
        _ = try waitForEntries(size.preload, on: nodes)
        let converged = start.duration(to: .now)
        narrator.say("every node holds \(size.preload) entries, \(converged.readable) after the first write")
        summary.append(Row(what: "\(size.preload) keys written on node1, on every node", figure: converged.readable))
    }

    private func killNode3() throws {
        narrator.step(4, "node3 is killed (SIGKILL: no goodbye); the others detect it")
        let victim = nodes[2]
        victim.kill()
        let start = ContinuousClock.now
        narrator.say("node3 (pid \(victim.pid)) killed")
        var seen: [String: String] = [:]
        var deadAfter: [String: Duration] = [:]
        let observers = Array(nodes[0..<2])
        _ = try waitUntil("node1 and node2 declare node3 dead") {
            for observer in observers where deadAfter[observer.name] == nil {
                let status = try observer.members()["node3"] ?? "forgotten"
                if seen[observer.name] != status {
                    seen[observer.name] = status
                    let elapsed = start.duration(to: .now)
                    narrator.say("\(observer.name) sees node3 \(status) (\(elapsed.readable))")
                    if status == "dead" { deadAfter[observer.name] = elapsed }
                }
            }
            return deadAfter.count == observers.count
        }
        let figures = observers.map { deadAfter[$0.name]?.readable ?? "?" }.joined(separator: " / ")
        summary.append(Row(what: "node3 killed, declared dead by node1 / node2", figure: figures))
        try nodes[0].sendAll((0..<size.whileDown).map { "set order:\($0) pending-\($0)" })
        _ = try waitForEntries(size.preload + size.whileDown, on: observers)
        narrator.say("meanwhile \(size.whileDown) more keys written on node1 (node3 misses them)")
    }

    private func restartNode3(key: String) throws {
        narrator.step(5, "node3 restarts empty, rejoins and syncs")
        let start = ContinuousClock.now
        let node = try NodeProcess(
            executable: executable, name: "node3", seed: nodes[0].address, key: key, keyVariable: Self.keyVariable)
        nodes[2] = node
        try node.waitUntilReady()
        let joined = start.duration(to: .now)
        narrator.say("node3 is back on \(node.address), joined in \(joined.readable)")
        let expected = size.preload + size.whileDown
        _ = try waitForEntries(expected, on: [node])
        let synced = start.duration(to: .now)
        _ = try waitUntil("every node sees node3 alive again") {
            try nodes.allSatisfy { try $0.members().values.filter { $0 == "alive" }.count == 3 }
        }
        let received = try node.stats()["sync_records_received"] ?? 0
        narrator.say(
            "node3 holds all \(expected) entries after \(synced.readable) (\(received) records by anti-entropy)")
        summary.append(
            Row(
                what: "node3 restarted: rejoined / synced \(expected) keys",
                figure: "\(joined.readable) / \(synced.readable)"))
    }

    private func burst() throws {
        narrator.step(6, "A burst of \(size.burst) writes on node2 converges everywhere")
        let start = ContinuousClock.now
        try nodes[1].sendAll((0..<size.burst).map { "set burst:\($0) value-\($0)" })
        let written = start.duration(to: .now)
        narrator.say("\(size.burst) writes answered by node2 in \(written.readable)")
        let expected = size.preload + size.whileDown + size.burst
        _ = try waitForEntries(expected, on: nodes)
        let last = "burst:\(size.burst - 1)"
        for node in nodes {
            let value = try node.value(of: last)
            if value != "value-\(size.burst - 1)" {
                throw DemoError("\(node.name) holds \(value ?? "nothing") for \(last)")
            }
        }
        let converged = start.duration(to: .now)
        narrator.say("every node holds \(expected) entries, \(converged.readable) after the first write")
        summary.append(Row(what: "burst of \(size.burst) writes, converged on 3 nodes", figure: converged.readable))
    }

    private func leave() throws {
        narrator.step(7, "The nodes leave gracefully")
        let start = ContinuousClock.now
        for node in nodes.reversed() { node.quit() }
        let left = start.duration(to: .now)
        narrator.say("3 nodes quit and exited in \(left.readable); no process left behind")
        summary.append(Row(what: "3 nodes left the cluster and exited", figure: left.readable))
    }

    private func printSummary() {
        narrator.step(8, "Summary")
        let width = summary.map(\.what.count).max() ?? 0
        for row in summary {
            narrator.text("      \(row.what.padded(to: width))   \(row.figure)")
        }
    }

    // MARK: Helpers

    /// Starts a node and waits until it has joined.
    private func spawn(_ name: String, seed: String?, key: String) throws -> NodeProcess {
        let node = try NodeProcess(
            executable: executable, name: name, seed: seed, key: key, keyVariable: Self.keyVariable)
        nodes.append(node)
        try node.waitUntilReady()
        return node
    }

    /// Sends `command` to node `index`, then polls `key` on the other nodes until each reads
    /// `expecting` (nil: not found); narrates and returns the times as `a / b`.
    private func measure(
        on index: Int, command: String, key: String, expecting: String?, label: String
    ) throws -> String {
        let writer = nodes[index]
        let readers = nodes.enumerated().filter { $0.offset != index }.map(\.element)
        let start = ContinuousClock.now
        try writer.send(command)
        var seenAfter: [String: Duration] = [:]
        _ = try waitUntil("\(label) reaches every node") {
            for reader in readers where seenAfter[reader.name] == nil {
                if try reader.value(of: key) == expecting { seenAfter[reader.name] = start.duration(to: .now) }
            }
            return seenAfter.count == readers.count
        }
        let figures = readers.map { "\(seenAfter[$0.name]?.readable ?? "?")" }
        let shown = expecting.map { "'\($0)'" } ?? "not found"
        narrator.say(
            "\(writer.name): \(command)  →  \(readers.map(\.name).joined(separator: " / ")) read \(shown) after "
                + figures.joined(separator: " / "))
        return figures.joined(separator: " / ")
    }

    /// Polls `stats` until every node in `on` holds `count` entries.
    private func waitForEntries(_ count: Int, on nodes: [NodeProcess]) throws -> Duration {
        try waitUntil("\(count) entries on \(nodes.map(\.name).joined(separator: ", "))") {
            try nodes.allSatisfy { try $0.stats()["entries"] == count }
        }
    }

    /// Polls `condition` every 2 ms until it holds; returns how long it took.
    private func waitUntil(_ what: String, _ condition: () throws -> Bool) throws -> Duration {
        let start = ContinuousClock.now
        while try !condition() {
            guard start.duration(to: .now) < timeout else { throw DemoError("timed out after \(timeout): \(what)") }
            Thread.sleep(forTimeInterval: 0.002)
        }
        return start.duration(to: .now)
    }
}
