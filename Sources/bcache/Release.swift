/// This release of BCache, as `bcache --version` prints it. Kept equal to the newest release
/// heading of CHANGELOG.md (`ReleaseTests` checks).
enum Release {
    static let version = "0.1.0"
}
