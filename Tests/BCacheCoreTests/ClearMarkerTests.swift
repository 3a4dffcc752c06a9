import BCacheCore
import Testing

/// A clear marker removes every record below it, live or tombstone, outranks older records for
/// good, and leaves what is newer.
@Suite struct ClearMarkerTests {
    @Test func clearingRemovesEverythingOlderAndLeavesNoTombstone() throws {
        let store = TestStores.store(node: 1)
        for index in 0..<50 { try store.set("k\(index)", [UInt8(index)]) }
        store.delete("k0")
        let (marker, removed) = store.clearAll()
        #expect(removed == 49)
        #expect(store.count == 0 && store.tombstoneCount == 0)
        #expect(store.clearedBefore == marker)
        // The digests are those of a store that never held anything.
        #expect(store.bucketDigests() == TestStores.store(node: 1).bucketDigests())
        // A write after the clear is newer than the marker, and stays.
        let write = try store.set("after", [1])
        #expect(write.version > marker)
        #expect(store.get("after") == [1])
    }

    @Test func aLateOlderRecordIsRefusedEverywhereTheMarkerWent() throws {
        let writer = TestStores.store(node: 1)
        let old = try writer.set("k", [1])
        let clearer = TestStores.store(node: 2)
        try clearer.merge(old)
        let (marker, _) = clearer.clearAll()
        let other = TestStores.store(node: 3)
        #expect(try other.clear(before: marker) == 0)
        // The record reaches them after the marker (a node that missed the clear syncs).
        #expect(try other.merge(old) == .ignoredOlderOrEqual)
        #expect(try clearer.merge(old) == .ignoredOlderOrEqual)
        #expect(other.get("k") == nil && clearer.get("k") == nil)
        // A newer write of the key, made after the marker by a node that had it, merges.
        try writer.clear(before: marker)
        #expect(writer.get("k") == nil)
        let newer = try writer.set("k", [2])
        #expect(try other.merge(newer) == .applied)
        #expect(other.get("k") == [2])
    }

    @Test func markersMergeByMaximum() throws {
        let first = TestStores.store(node: 1)
        let second = TestStores.store(node: 2)
        let (early, _) = first.clearAll()
        try second.set("k", [1])
        let (late, _) = second.clearAll()
        #expect(late > early)
        // Either order ends at the later marker, and an older one changes nothing.
        #expect(try first.clear(before: late) == 0)
        try second.set("kept", [1])
        #expect(try second.clear(before: early) == 0)
        #expect(first.clearedBefore == late && second.clearedBefore == late)
        #expect(second.get("kept") == [1])
    }
}
