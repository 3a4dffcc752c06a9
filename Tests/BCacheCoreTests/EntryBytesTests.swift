import Testing

@testable import BCacheCore

/// `EntryBytes`: a key and a value in one manually owned block, read back exactly through
/// every change.
@Suite struct EntryBytesTests {
    @Test func keyAndValueReadBackExactly() {
        let value: [UInt8] = Array(0..<200).map { UInt8($0) }
        var entry = EntryBytes(key: "user:42:profile", value: value, deadline: 1_234)
        defer { entry.release() }
        #expect(entry.key == "user:42:profile")
        #expect(entry.keyCount == 15)
        #expect(entry.valueCount == 200)
        #expect(entry.value == value)
        #expect(entry.deadline == 1_234)
        #expect(entry.keyHash == StableHash.hash("user:42:profile"))
        entry.markReferenced()
        entry.deadline = Slot.neverExpires
        #expect(entry.isReferenced && entry.deadline == Slot.neverExpires && entry.keyCount == 15)
    }

    @Test func emptyEntriesHaveNoKeyAndNoValue() {
        var entry = EntryBytes(key: "", value: [], deadline: Slot.neverExpires)
        defer { entry.release() }
        #expect(entry.key.isEmpty)
        #expect(entry.value.isEmpty)
        #expect(entry.hasKey(""))
        #expect(!entry.hasKey("a"))
        let empty = EntryBytes.empty
        #expect(empty.keyCount == 0 && empty.valueCount == 0 && empty.value.isEmpty && empty.key.isEmpty)
        #expect(empty.hasKey(""))
        #expect(empty.deadline == Slot.freeMarker)
    }

    @Test func hasKeyComparesUTF8BytesNotCanonicalEquivalence() {
        var entry = EntryBytes(key: "caf\u{e9}", value: [1], deadline: Slot.neverExpires)
        defer { entry.release() }
        #expect(entry.hasKey("caf\u{e9}"))
        #expect(!entry.hasKey("cafe\u{301}"))
        #expect(!entry.hasKey("caf"))
        #expect(!entry.hasKey("caf\u{e8}"))
        var long = EntryBytes(key: String(repeating: "k", count: 40), deadline: Slot.tombstoneDeadline(9))
        defer { long.release() }
        #expect(long.hasKey(String(repeating: "k", count: 40)))
        #expect(!long.hasKey(String(repeating: "k", count: 39) + "j"))
    }

    @Test func replaceValueInPlaceOrInANewBlockKeepsTheKey() {
        var entry = EntryBytes(key: "key-of-more-than-fifteen-bytes", value: [1, 2, 3], deadline: 77)
        defer { entry.release() }
        entry.replaceValue(with: [4, 5, 6])
        #expect(entry.value == [4, 5, 6])
        entry.replaceValue(with: [1])
        #expect(entry.value == [1])
        entry.replaceValue(with: [UInt8](repeating: 9, count: 1_000))
        #expect(entry.value == [UInt8](repeating: 9, count: 1_000))
        #expect(entry.deadline == 77)
        entry.replaceValue(with: [])
        #expect(entry.value.isEmpty)
        #expect(entry.key == "key-of-more-than-fifteen-bytes")
        var unicode = EntryBytes(key: "k\u{1F600}", value: [1, 2], deadline: Slot.neverExpires)
        defer { unicode.release() }
        unicode.replaceValue(with: [3, 4, 5, 6])
        #expect(unicode.key == "k\u{1F600}" && unicode.keyCount == 5 && unicode.value == [3, 4, 5, 6])
    }

    @Test func valueIsACopyTheCallerMayChange() {
        var entry = EntryBytes(key: "k", value: [1, 2, 3], deadline: Slot.neverExpires)
        defer { entry.release() }
        var copy = entry.value
        copy[0] = 99
        #expect(entry.value == [1, 2, 3])
    }

    @Test func dropValueLeavesTheKeyAndNoValueWhateverTheSize() {
        let kept = EntryBytes.valueBytesKeptByTombstone
        for size in [0, 1, kept, kept + 1, 5_000] {
            var entry = EntryBytes(
                key: "some-key-of-twenty-bytes", value: [UInt8](repeating: 7, count: size), deadline: 5_000)
            defer { entry.release() }
            entry.dropValue()
            #expect(entry.deadline == 5_000)
            #expect(entry.key == "some-key-of-twenty-bytes")
            #expect(entry.valueCount == 0)
            #expect(entry.value.isEmpty)
            entry.replaceValue(with: [4, 2])
            #expect(entry.key == "some-key-of-twenty-bytes" && entry.value == [4, 2])
        }
    }

    @Test func releaseLeavesAnEmptyEntry() {
        var entry = EntryBytes(key: "k", value: [1], deadline: Slot.neverExpires)
        entry.release()
        #expect(entry.keyCount == 0 && entry.valueCount == 0 && entry.deadline == Slot.freeMarker)
        entry.release()
    }
}

extension EntryBytes {
    /// A block for `key` and `value`, made as a shard makes a local write's.
    init(key: String, value: [UInt8], deadline: UInt64) {
        self = value.withUnsafeBytes { EntryKey.string(key).makeBlock(value: $0, deadline: deadline) }
    }

    /// A key-only block (a tombstone's).
    init(key: String, deadline: UInt64) {
        self.init(key: key, value: [], deadline: deadline)
    }
}
