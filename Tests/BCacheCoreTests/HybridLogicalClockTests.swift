import BCacheCore
import Testing

@Suite struct HybridLogicalClockTests {
    @Test func packsPhysicalAndLogicalParts() {
        let t = HybridTimestamp(physicalMillis: 1_767_225_600_123, logical: 7)
        #expect(t.physicalMillis == 1_767_225_600_123)
        #expect(t.logical == 7)
        #expect(HybridTimestamp(rawValue: t.rawValue) == t)
    }

    @Test func followsWallTimeWhenItMovesForward() {
        var clock = HybridLogicalClock()
        let a = clock.tick(wallMillis: 1_000)
        let b = clock.tick(wallMillis: 2_000)
        #expect(a == HybridTimestamp(physicalMillis: 1_000, logical: 0))
        #expect(b == HybridTimestamp(physicalMillis: 2_000, logical: 0))
    }

    @Test func staysMonotonicWhenWallClockStepsBack() {
        var clock = HybridLogicalClock()
        var previous = clock.tick(wallMillis: 10_000)
        for wall in [9_000, 5_000, 10_000, 9_999, 1] as [UInt64] {
            let next = clock.tick(wallMillis: wall)
            #expect(next > previous)
            #expect(next.physicalMillis == 10_000)
            previous = next
        }
    }

    @Test func logicalOverflowBorrowsTheNextMillisecond() {
        var clock = HybridLogicalClock(last: HybridTimestamp(physicalMillis: 500, logical: .max))
        let next = clock.tick(wallMillis: 100)
        #expect(next == HybridTimestamp(physicalMillis: 501, logical: 0))
    }

    @Test func receiveOrdersLaterLocalWritesAfterTheRemoteOne() throws {
        var clock = HybridLogicalClock()
        _ = clock.tick(wallMillis: 1_000)
        let remote = HybridTimestamp(physicalMillis: 1_500, logical: 3)
        let merged = try clock.receive(remote, wallMillis: 1_000)
        #expect(merged > remote)
        #expect(clock.tick(wallMillis: 1_000) > remote)
    }

    @Test func rejectsRemoteTimestampBeyondMaxDrift() {
        var clock = HybridLogicalClock(maxDriftMillis: 60_000)
        let before = clock.tick(wallMillis: 1_000_000)
        let remote = HybridTimestamp(physicalMillis: 1_000_000 + 60_001, logical: 0)
        #expect(throws: ClockError.self) { try clock.receive(remote, wallMillis: 1_000_000) }
        #expect(clock.last == before)
        // Exactly at the drift bound is accepted.
        let atBound = HybridTimestamp(physicalMillis: 1_000_000 + 60_000, logical: 0)
        #expect((try? clock.receive(atBound, wallMillis: 1_000_000)) != nil)
    }

    @Test func manualWallClockDrivesTime() {
        let manual = ManualWallClock(startMillis: 42)
        let wall = manual.wallClock
        #expect(wall.nowMillis() == 42)
        manual.advance(byMillis: 8)
        #expect(wall.nowMillis() == 50)
        manual.set(millis: 10)
        #expect(wall.nowMillis() == 10)
    }
}
