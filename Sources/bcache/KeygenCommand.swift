import ArgumentParser
import BCacheSecure

/// `bcache keygen`: prints a new random cluster key.
///
/// Give the printed key to every node (for example in the `BCACHE_KEY` environment variable or
/// a file readable only by the service) and load it with `SecretKey(text:)`,
/// `SecretKey(environmentVariable:)` or `SecretKey(contentsOfFile:)`.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Print a new random 32-byte cluster encryption key (base64, or hex with --hex)."
    )

    @Flag(help: "Print 64 hexadecimal digits instead of base64.")
    var hex = false

    func run() throws {
        let key = try SecretKey.generate()
        print(hex ? key.exportHex() : key.exportBase64())
    }
}
