import ArgumentParser
import Foundation

/// `bcache bench transport`: packets and streams over UDP and TCP on the loopback interface.
struct TransportBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport",
        abstract: "Benchmark the UDP and TCP transports on 127.0.0.1: throughput and round-trip latency.",
        discussion: """
            One way, as fast as the sender can go: --packets packets of --packet-size bytes over UDP \
            and over TCP (packets framed on a pooled connection), and --frames stream frames of \
            --frame-size bytes over one TCP stream. Round trip: --pings packets of 100 bytes echoed \
            back, one at a time, over UDP and over TCP; p50 and p99 in microseconds. With --encrypted, \
            also the secure transport (one random key): the nanoseconds sealing and opening add per \
            packet (timed without sockets, median of 5 rounds), then UDP one way, the TCP stream and \
            UDP round trips through it, with the ratios encrypted/plain. Every node binds \
            127.0.0.1 with port 0. Build in release mode.
            """
    )

    @Option(help: "Packets sent one way per transport.")
    var packets = 100_000

    @Option(help: "Size of each one-way packet, in bytes.")
    var packetSize = 1_200

    @Option(help: "Stream frames sent one way.")
    var frames = 256

    @Option(help: "Size of each stream frame, in bytes.")
    var frameSize = 1 << 20

    @Option(help: "Round trips timed per transport.")
    var pings = 5_000

    @Flag(help: "Also measure the secure transport: seal and open cost per packet, throughput against plaintext.")
    var encrypted = false

    @Flag(help: "Print the figures as one JSON object.")
    var json = false

    func validate() throws {
        guard packets >= 100 else { throw ValidationError("--packets must be at least 100") }
        guard (8...1_400).contains(packetSize) else { throw ValidationError("--packet-size must be 8...1400") }
        // The secure envelope takes 61 bytes of a 1400-byte UDP packet.
        if encrypted, packetSize > 1_339 {
            throw ValidationError("--packet-size must be at most 1339 with --encrypted")
        }
        guard frames >= 1 else { throw ValidationError("--frames must be at least 1") }
        guard (1...(16 << 20)).contains(frameSize) else { throw ValidationError("--frame-size must be 1...16 MiB") }
        guard pings >= 100 else { throw ValidationError("--pings must be at least 100") }
    }

    func run() async throws {
        let bench = TransportBench(
            packetCount: packets, packetSize: packetSize, frameCount: frames, frameSize: frameSize, pingCount: pings,
            encrypted: encrypted)
        let report = try await bench.run()
        print(json ? try report.json() : report.table())
    }
}
