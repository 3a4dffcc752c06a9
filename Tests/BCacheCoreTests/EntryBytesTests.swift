import Testing

@testable import BCacheCore

/// `EntryBytes`: a key and a value in one allocation, read back exactly.
@Suite struct EntryBytesTests {
    @Test func keyAndValueReadBackExactly() {
        let value: [UInt8] = Array(0..<200).map { UInt8($0) }
        let entry = EntryBytes(key: "user:42:profile", value: value)
        #expect(entry.key == "user:42:profile")
        #expect(entry.keyCount == 15)
        #expect(entry.valueCount == 200)
        #expect(entry.value == value)
    }

    @Test func emptyKeyAndValue() {
        let entry = EntryBytes(key: "", value: [])
        #expect(entry.key.isEmpty)
        #expect(entry.value.isEmpty)
        #expect(entry.hasKey(""))
        #expect(!entry.hasKey("a"))
        #expect(EntryBytes.empty.keyCount == 0 && EntryBytes.empty.valueCount == 0)
    }

    @Test func hasKeyComparesUTF8BytesNotCanonicalEquivalence() {
        let entry = EntryBytes(key: "caf\u{e9}", value: [1])
        #expect(entry.hasKey("caf\u{e9}"))
        #expect(!entry.hasKey("cafe\u{301}"))
        #expect(!entry.hasKey("caf"))
        #expect(!entry.hasKey("caf\u{e8}"))
        let long = String(repeating: "k", count: 40)
        #expect(EntryBytes(key: long, value: []).hasKey(String(repeating: "k", count: 40)))
        #expect(!EntryBytes(key: long, value: []).hasKey(String(repeating: "k", count: 39) + "j"))
    }

    @Test func withoutValueKeepsTheKeyAndDropsTheBytes() {
        let entry = EntryBytes(key: "a-key-longer-than-15-bytes", value: [9, 8, 7])
        let tombstone = entry.withoutValue()
        #expect(tombstone.key == "a-key-longer-than-15-bytes")
        #expect(tombstone.valueCount == 0)
        #expect(tombstone.value.isEmpty)
        #expect(entry.value == [9, 8, 7])
    }

    @Test func replacingValueKeepsTheKey() {
        let entry = EntryBytes(key: "k\u{1F600}", value: [1, 2])
        let replaced = entry.replacingValue(with: [3, 4, 5, 6])
        #expect(replaced.key == "k\u{1F600}")
        #expect(replaced.keyCount == 5)
        #expect(replaced.value == [3, 4, 5, 6])
        #expect(entry.value == [1, 2])
    }

    @Test func valueIsACopyTheCallerMayChange() {
        let entry = EntryBytes(key: "k", value: [1, 2, 3])
        var copy = entry.value
        copy[0] = 99
        #expect(entry.value == [1, 2, 3])
    }

    @Test func replaceValueInPlaceOrInANewBufferKeepsOtherCopiesIntact() {
        var entry = EntryBytes(key: "key-of-more-than-fifteen-bytes", value: [1, 2, 3])
        entry.replaceValue(with: [4, 5, 6])
        #expect(entry.value == [4, 5, 6])
        #expect(entry.key == "key-of-more-than-fifteen-bytes")
        let shared = entry
        entry.replaceValue(with: [7, 8, 9])
        #expect(entry.value == [7, 8, 9])
        #expect(shared.value == [4, 5, 6])
        entry.replaceValue(with: [1])
        #expect(entry.value == [1])
        #expect(entry.key == "key-of-more-than-fifteen-bytes")
        var empty = EntryBytes.empty
        empty.replaceValue(with: [])
        #expect(EntryBytes.empty.valueCount == 0 && EntryBytes.empty.keyCount == 0)
    }

    @Test func dropValueLeavesTheKeyAndNoValueWhateverTheSize() {
        for size in [0, 1, EntryBytes.valueBytesKeptByTombstone, EntryBytes.valueBytesKeptByTombstone + 1, 5_000] {
            var entry = EntryBytes(key: "some-key-of-twenty-bytes", value: [UInt8](repeating: 7, count: size))
            let other = entry
            entry.dropValue()
            #expect(entry.key == "some-key-of-twenty-bytes")
            #expect(entry.valueCount == 0)
            #expect(entry.value.isEmpty)
            #expect(other.valueCount == size, "a copy held elsewhere keeps its value")
            var unique = EntryBytes(key: "k", value: [UInt8](repeating: 1, count: size))
            unique.dropValue()
            #expect(unique.key == "k" && unique.value.isEmpty)
            unique.replaceValue(with: [4, 2])
            #expect(unique.key == "k" && unique.value == [4, 2])
        }
    }
}
