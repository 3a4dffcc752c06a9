import ArgumentParser
import BCacheCore

/// `bcache bench local`: the store on one node against a dictionary-behind-a-mutex baseline.
struct LocalBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "local",
        abstract: "Benchmark the local store (get, set, delete, mix) against a Mutex<Dictionary> baseline."
    )

    @Flag(help: "Print the figures as one JSON object.")
    var json = false

    func run() async throws {
        print("bench local: not yet implemented")
    }
}
