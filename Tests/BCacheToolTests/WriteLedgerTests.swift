import Testing

/// The verdict of the process chaos tests on synthetic histories: it accepts what
/// last-writer-wins allows and names every way a cluster can be wrong (nodes that differ, a
/// lost acknowledged write, a value nobody wrote).
@Suite struct WriteLedgerTests {
    private let start = ContinuousClock.now
    private let a = WriteLedger.Incarnation(node: "a", number: 0)
    private let b = WriteLedger.Incarnation(node: "b", number: 0)

    /// A write of `key` by `writer` from `from` to `to` milliseconds after `start`; returns its value.
    @discardableResult
    private func write(_ ledger: WriteLedger, _ key: String, by writer: WriteLedger.Incarnation, _ from: Int, _ to: Int)
        -> String
    {
        let (index, value) = ledger.begin(key: key, writer: writer, at: start + .milliseconds(from))
        ledger.end(index, .acknowledged, at: start + .milliseconds(to))
        return value
    }

    @Test func aSingleWritersLastAcknowledgedValueOnEveryNodeIsRight() {
        let ledger = WriteLedger()
        write(ledger, "k", by: a, 0, 1)
        let last = write(ledger, "k", by: a, 1, 2)
        #expect(ledger.violations(held: ["k": [last, last]], durable: [a]).isEmpty)
    }

    @Test func anEarlierWriteOfTheSameProcessIsALostWrite() {
        let ledger = WriteLedger()
        let first = write(ledger, "k", by: a, 0, 1)
        write(ledger, "k", by: a, 1, 2)
        let problems = ledger.violations(held: ["k": [first, first]], durable: [a])
        #expect(problems.count == 1 && problems[0].contains("a lost write"), "\(problems)")
    }

    @Test func overlappingWritesFromTwoNodesMayEitherWinButAClearlyLaterOneMustWin() {
        let ledger = WriteLedger()
        let fromA = write(ledger, "k", by: a, 0, 5)
        let fromB = write(ledger, "k", by: b, 3, 8)
        #expect(ledger.violations(held: ["k": [fromA, fromA]], durable: [a, b]).isEmpty)
        #expect(ledger.violations(held: ["k": [fromB, fromB]], durable: [a, b]).isEmpty)
        write(ledger, "k", by: b, 100, 101)
        #expect(ledger.violations(held: ["k": [fromA, fromA]], durable: [a, b]).count == 1)
    }

    @Test func writesOfAKilledProcessMayBeLostAndItsUnansweredWriteMayWin() {
        let ledger = WriteLedger()
        let acknowledged = write(ledger, "k", by: a, 0, 1)
        let (_, inFlight) = ledger.begin(key: "k", writer: a, at: start + .milliseconds(2))
        ledger.killed(a, at: start + .milliseconds(3))
        #expect(ledger.count(.unanswered) == 1)
        // a is not durable: losing its acknowledged write is allowed, as is keeping its last one.
        #expect(ledger.violations(held: ["k": [nil, nil]], durable: []).isEmpty)
        #expect(ledger.violations(held: ["k": [acknowledged, acknowledged]], durable: []).isEmpty)
        #expect(ledger.violations(held: ["k": [inFlight, inFlight]], durable: []).isEmpty)
    }

    @Test func nodesThatDifferAValueNobodyWroteAndAMissingKeyAreViolations() {
        let ledger = WriteLedger()
        let value = write(ledger, "k", by: a, 0, 1)
        #expect(ledger.violations(held: ["k": [value, nil]], durable: [a]).first?.contains("differ") == true)
        #expect(ledger.violations(held: ["k": ["forged", "forged"]], durable: [a]).first?.contains("no value") == true)
        #expect(ledger.violations(held: ["k": [nil, nil]], durable: [a]).first?.contains("lost") == true)
    }
}
