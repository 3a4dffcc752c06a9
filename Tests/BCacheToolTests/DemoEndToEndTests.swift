import BCacheTestKit
import Foundation
import Testing

/// `bcache demo --quick`, the real executable, end to end: three node processes, every step,
/// a zero exit status, and no node process left afterwards.
@Suite struct DemoEndToEndTests {
    @Test(.timeLimit(.minutes(2)))
    func theQuickDemoRunsEveryStepAndLeavesNoProcessBehind() throws {
        let executable = try #require(
            Self.builtExecutable(),
            "the bcache executable is not next to the test bundle: build it with swift build --build-tests")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent(
            "bcache-demo-\(UUID().uuidString).txt")
        try #require(FileManager.default.createFile(atPath: output.path, contents: nil))
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["demo", "--quick"]
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        let start = ContinuousClock.now
        try process.run()
        // A minute and a half at most on a loaded machine; the demo itself takes seconds.
        while process.isRunning, ContinuousClock.now - start < .seconds(90) {
            Thread.sleep(forTimeInterval: 0.05)
        }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try handle.close()
        let text = try String(contentsOf: output, encoding: .utf8)
        #expect(process.terminationStatus == 0, "the demo failed:\n\(text)")
        for step in ["[1/8]", "[4/8]", "[5/8]", "[6/8]", "[8/8] Summary", "demo finished in"] {
            #expect(text.contains(step), "missing '\(step)' in:\n\(text)")
        }
        #expect(text.contains("node3 holds all 150 entries"), "\(text)")
        #expect(Self.demoNodes(of: executable).isEmpty, "node processes left behind")
    }

    /// `bcache` in the directory of the test bundle (where SwiftPM puts every product).
    static func builtExecutable() -> String? {
        var directories: [URL] = []
        // `/proc/self/exe` first, and the bundles only without it (macOS): on Linux,
        // `Bundle.allBundles` leaks (LeakSanitizer), and `/proc/self/exe` is exact.
        if let path = ProcFiles.linkDestination(of: "/proc/self/exe") {
            directories.append(URL(fileURLWithPath: path).deletingLastPathComponent())
        } else {
            for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
                directories.append(URL(fileURLWithPath: bundle.bundlePath).deletingLastPathComponent())
            }
        }
        return directories.map { $0.appendingPathComponent("bcache").path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The pids of processes running `executable node … <keyVariable>` (Linux /proc; none
    /// elsewhere).
    static func demoNodes(of executable: String, keyVariable: String = "BCACHE_DEMO_KEY") -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { entry in
            guard entry.allSatisfy(\.isNumber),
                let data = ProcFiles.contents(of: "/proc/\(entry)/cmdline")
            else { return false }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.first == executable && arguments.contains("node") && arguments.contains(keyVariable)
        }
    }
}
