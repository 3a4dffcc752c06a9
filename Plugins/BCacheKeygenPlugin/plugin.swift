import Foundation
import PackagePlugin

/// `swift package bcache-keygen [--hex] [--output PATH]`: runs `bcache keygen` and prints the new
/// key, or writes it to `PATH` (created with permissions 0600, refused if it exists).
///
/// The plugin asks for no permission to write into the package directory: it prints by
/// default, and writes only to a path the user names.
@main
struct BCacheKeygenPlugin: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        var extractor = ArgumentExtractor(arguments)
        let output = extractor.extractOption(named: "output").last
        let hex = extractor.extractFlag(named: "hex") > 0
        guard extractor.remainingArguments.isEmpty else {
            throw KeygenPluginError(
                "unexpected arguments \(extractor.remainingArguments); usage: "
                    + "swift package bcache-keygen [--hex] [--output PATH]")
        }
        let tool = try context.tool(named: "bcache")
        let key = try run(tool.url, arguments: hex ? ["keygen", "--hex"] : ["keygen"])
        guard let output else {
            print(key)
            return
        }
        try write(key + "\n", to: output)
        print("wrote a new key to \(output)")
    }

    /// Runs the tool and returns its standard output without the trailing newline.
    private func run(_ executable: URL, arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw KeygenPluginError("bcache keygen exited with status \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Creates `path` readable by its owner only; an existing file is never overwritten.
    private func write(_ text: String, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw KeygenPluginError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw KeygenPluginError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}

struct KeygenPluginError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
