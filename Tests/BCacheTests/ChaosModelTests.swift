import BCacheCore
import Testing

/// The chaos test's verdict catches what it must: nodes that differ, a lost acknowledged write, a
/// value nobody wrote; and accepts an unacknowledged write that survived its node's crash.
@Suite struct ChaosModelTests {
    private let nodeA = NodeID(rawValue: 0xA)
    private let nodeB = NodeID(rawValue: 0xB)
    private let now: UInt64 = 1_000

    private func version(_ millis: UInt64, _ node: NodeID) -> Version {
        Version(timestamp: HybridTimestamp(physicalMillis: millis, logical: 0), node: node)
    }

    /// Node A (incarnation 0) writes "old" at 10 and keeps running; node B (incarnation 1)
    /// writes "new" at 20 and crashes before anyone is seen holding it.
    private func model() -> ChaosModel {
        var model = ChaosModel()
        model.started(incarnation: 0, nodeID: nodeA)
        model.started(incarnation: 1, nodeID: nodeB)
        model.record(
            ChaosModel.Write(
                key: "k", kind: .set(value: Array("old".utf8), expiresAtMillis: .max), slot: 0, incarnation: 0,
                version: version(10, nodeA)))
        model.record(
            ChaosModel.Write(
                key: "k", kind: .set(value: Array("new".utf8), expiresAtMillis: .max), slot: 1, incarnation: 1,
                version: version(20, nodeB)))
        model.crashed(incarnation: 1)
        return model
    }

    private func view(_ version: Version?, _ value: String?) -> ChaosModel.Observed {
        ChaosModel.Observed(version: version, value: value.map { Array($0.utf8) })
    }

    @Test func theAcknowledgedWinnerEverywhereIsExact() {
        let verdict = model().verdict(
            keys: ["k"],
            observed: ["a": ["k": view(version(10, nodeA), "old")], "c": ["k": view(version(10, nodeA), "old")]],
            nowMillis: now)
        #expect(verdict.violations.isEmpty)
        #expect(verdict.exact == 1)
    }

    @Test func aSurvivingUnacknowledgedWriteIsAccepted() {
        let verdict = model().verdict(
            keys: ["k"], observed: ["a": ["k": view(version(20, nodeB), "new")]], nowMillis: now)
        #expect(verdict.violations.isEmpty)
        #expect(verdict.unacknowledgedSurvivors == 1)
    }

    @Test func nodesThatDifferAreAViolation() {
        let verdict = model().verdict(
            keys: ["k"],
            observed: ["a": ["k": view(version(10, nodeA), "old")], "c": ["k": view(version(20, nodeB), "new")]],
            nowMillis: now)
        #expect(verdict.violations.count == 1)
    }

    @Test func aLostAcknowledgedWriteIsAViolation() {
        let verdict = model().verdict(keys: ["k"], observed: ["a": ["k": view(nil, nil)]], nowMillis: now)
        #expect(verdict.violations.count == 1)
    }

    @Test func aValueNobodyWroteIsAViolation() {
        let verdict = model().verdict(
            keys: ["k"], observed: ["a": ["k": view(version(10, nodeA), "forged")]], nowMillis: now)
        #expect(verdict.violations.count == 1)
    }

    @Test func anExpiredWinnerReadsAsAbsent() {
        var model = ChaosModel()
        model.started(incarnation: 0, nodeID: nodeA)
        model.record(
            ChaosModel.Write(
                key: "k", kind: .set(value: Array("short".utf8), expiresAtMillis: 500), slot: 0, incarnation: 0,
                version: version(10, nodeA)))
        let expired = model.verdict(keys: ["k"], observed: ["a": ["k": view(version(10, nodeA), nil)]], nowMillis: now)
        #expect(expired.violations.isEmpty)
        let stillThere = model.verdict(
            keys: ["k"], observed: ["a": ["k": view(version(10, nodeA), "short")]], nowMillis: now)
        #expect(stillThere.violations.count == 1)
    }
}
