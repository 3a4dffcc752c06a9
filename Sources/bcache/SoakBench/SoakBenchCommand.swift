import ArgumentParser
import BCacheMembership
import Foundation

/// `bcache bench soak`: a 3-node cluster on 127.0.0.1 under load and churn, minute by minute.
struct SoakBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Run a cluster on 127.0.0.1 under a steady mixed load with churn; report each minute.",
        discussion: """
            Starts --nodes caches in this process over UDP (packets) and TCP (streams) on 127.0.0.1 \
            with port 0, each with maxBytes --max-bytes-mib. Every node serves --rate operations per \
            second (60 % gets, 30 % sets of 64-1024 bytes, half of them with a TTL of 30-300 s, 10 % \
            deletes) on --keys keys; every --churn-seconds one node is shut down and a fresh one \
            (empty store) joins. Probe writes every 20 ms on a key space of their own measure the \
            propagation latency to each other node. At the end of each minute the load pauses for a \
            quiet period (at most --quiet-seconds) until the nodes' contents agree; the minute's \
            row then gives throughput, p50/p99 propagation, resident memory (the process's, and \
            divided by the nodes), the largest store's accounted bytes, the keys two nodes hold \
            with different values (divergent) and the keys some nodes lack (partial; an "e" after \
            it when the stores evict, each node's LRU then following its own reads). Exits with \
            status 1 when a quiet period ends with a divergent key, or a partial one while nothing \
            was evicted, a store exceeds maxBytes or resident memory keeps growing. Build in \
            release mode.
            """
    )

    @Option(help: "How many minutes to run.")
    var minutes = 10

    @Option(help: "How many nodes.")
    var nodes = 3

    @Option(help: "Operations per second on each node.")
    var rate = 1_000

    @Option(help: "The key space of the load.")
    var keys = 50_000

    @Option(help: "Each node's maxBytes, in MiB.")
    var maxBytesMib = 64

    @Option(help: "Seconds between two node replacements.")
    var churnSeconds = 45

    @Option(help: "The longest quiet period at the end of each minute, in seconds.")
    var quietSeconds = 20

    @Option(help: "The membership's push-pull (anti-entropy) interval, in seconds.")
    var pushPullSeconds = 10

    @Option(help: "The membership's gossip interval (deltas ride gossip), in milliseconds.")
    var gossipMs = 200

    @Flag(help: "Print each minute as one JSON object per line.")
    var json = false

    func validate() throws {
        guard minutes >= 1 else { throw ValidationError("--minutes must be at least 1") }
        guard (2...16).contains(nodes) else { throw ValidationError("--nodes must be 2...16") }
        guard rate >= 100 else { throw ValidationError("--rate must be at least 100") }
        guard keys >= 100 else { throw ValidationError("--keys must be at least 100") }
        guard maxBytesMib >= 1 else { throw ValidationError("--max-bytes-mib must be at least 1") }
        guard churnSeconds >= 5 else { throw ValidationError("--churn-seconds must be at least 5") }
        guard (1...50).contains(quietSeconds) else { throw ValidationError("--quiet-seconds must be 1...50") }
        guard gossipMs >= 1 else { throw ValidationError("--gossip-ms must be at least 1") }
        guard pushPullSeconds >= 1 else { throw ValidationError("--push-pull-seconds must be at least 1") }
    }

    func run() async throws {
        var settings = SoakCluster.Settings()
        settings.nodes = nodes
        settings.maxBytes = maxBytesMib << 20
        settings.membership.pushPullInterval = .seconds(pushPullSeconds)
        settings.membership.gossipInterval = .milliseconds(gossipMs)
        let bench = SoakBench(
            minutes: minutes, cluster: settings, keyCount: keys, ratePerNode: rate,
            churnInterval: .seconds(churnSeconds), quietLimit: .seconds(quietSeconds))
        if !json {
            print(
                "bcache bench soak: \(nodes) nodes on 127.0.0.1 (UDP+TCP), \(rate) ops/s per node, \(keys) keys, "
                    + "maxBytes \(maxBytesMib) MiB, a node replaced every \(churnSeconds) s, gossip every \(gossipMs) ms, "
                    + "push-pull every \(pushPullSeconds) s")
            print(SoakMinute.header)
        }
        let outcome = try await bench.run { minute in
            print(json ? ((try? minute.json()) ?? "{}") : minute.row)
            // A row per minute as it ends, also when the output is a pipe or a file.
            fflush(nil)
        }
        let storesWithin = outcome.storesWithin(settings.maxBytes)
        if !json {
            print(
                "no divergent key (nor partial, unless evicting) after every quiet period: \(outcome.converged); "
                    + "stores within maxBytes: "
                    + "\(storesWithin); resident memory plateaued: \(outcome.plateaued)")
        }
        guard outcome.converged, storesWithin, outcome.plateaued else { throw ExitCode(1) }
    }
}
