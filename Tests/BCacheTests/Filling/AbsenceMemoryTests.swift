import Testing

@testable import BCache

/// The per-node memory of absent fills, bare: expiry, forgetting, its bound, a clock stepping back.
@Suite struct AbsenceMemoryTests {
    @Test func anAbsenceLastsItsTTLExactly() {
        let memory = AbsenceMemory()
        memory.remember("k", now: 1_000, forMillis: 500)
        #expect(memory.isAbsent("k", now: 1_000))
        #expect(memory.isAbsent("k", now: 1_499))
        #expect(!memory.isAbsent("k", now: 1_500))
        // Looked up after its time, it is gone.
        #expect(memory.rememberedCount == 0)
        #expect(!memory.isAbsent("other", now: 1_000))
    }

    @Test func aClockSteppingBackForgetsTheAbsence() {
        let memory = AbsenceMemory()
        memory.remember("k", now: 10_000, forMillis: 500)
        #expect(!memory.isAbsent("k", now: 9_999))
        #expect(!memory.isAbsent("k", now: 10_000))
    }

    @Test func forgettingOneKeyOrAllOfThem() {
        let memory = AbsenceMemory()
        memory.remember("a", now: 0, forMillis: 100)
        memory.remember("b", now: 0, forMillis: 100)
        memory.forget("a")
        memory.forget("never remembered")
        #expect(!memory.isAbsent("a", now: 1))
        #expect(memory.isAbsent("b", now: 1))
        memory.forgetAll()
        #expect(!memory.isAbsent("b", now: 1))
        #expect(memory.rememberedCount == 0)
    }

    @Test func aZeroTTLRemembersNothingAndAHugeOneDoesNotOverflow() {
        let memory = AbsenceMemory()
        memory.remember("zero", now: 5, forMillis: 0)
        #expect(!memory.isAbsent("zero", now: 5))
        memory.remember("long", now: .max - 1, forMillis: .max)
        #expect(memory.isAbsent("long", now: .max - 1))
    }

    @Test func pastItsCapacityTheOldestIsForgotten() {
        let memory = AbsenceMemory(capacity: 4)
        for index in 0..<6 { memory.remember("k\(index)", now: 0, forMillis: 1_000) }
        #expect(memory.rememberedCount == 4)
        #expect(!memory.isAbsent("k0", now: 1))
        #expect(!memory.isAbsent("k1", now: 1))
        #expect((2..<6).allSatisfy { memory.isAbsent("k\($0)", now: 1) })
        // Remembered again, a key is the newest: the next eviction takes another one.
        memory.remember("k2", now: 2, forMillis: 1_000)
        memory.remember("k6", now: 2, forMillis: 1_000)
        #expect(memory.isAbsent("k2", now: 3))
        #expect(!memory.isAbsent("k3", now: 3))
    }

    @Test func rememberingAndForgettingWithoutEndStaysBounded() {
        let memory = AbsenceMemory(capacity: 8)
        for round in 0..<10_000 {
            memory.remember("k\(round % 3)", now: UInt64(round), forMillis: 1_000)
            if round % 5 == 0 { memory.forget("k\(round % 3)") }
        }
        #expect(memory.rememberedCount <= 8)
        #expect(memory.orderRecordCount <= 2 * 8 + 1)
    }
}
