import ArgumentParser
import Foundation
import Testing

@testable import bcache

/// `bcache --version` prints the newest release of CHANGELOG.md.
@Suite struct ReleaseTests {
    @Test func theVersionIsTheChangelogsNewestRelease() throws {
        #expect(BCacheCommand.configuration.version == Release.version)
        let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let changelog = try String(contentsOf: root.appending(path: "CHANGELOG.md"), encoding: .utf8)
        let releases = changelog.split(separator: "\n").filter { $0.hasPrefix("## [") && !$0.contains("Unreleased") }
        #expect(releases.first == "## [\(Release.version)]")
    }
}
