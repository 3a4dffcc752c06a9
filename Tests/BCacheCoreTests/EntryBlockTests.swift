import Testing

@testable import BCacheCore

/// `EntryBlock`: an entry's key, value, deadline, version and links in one manually owned block,
/// read back exactly through every change.
@Suite struct EntryBlockTests {
    private static let version = Version(timestamp: HybridTimestamp(rawValue: 0x1234_5678), node: NodeID(rawValue: 99))

    @Test func keyValueDeadlineAndVersionReadBackExactly() {
        let value: [UInt8] = Array(0..<200).map { UInt8($0) }
        let entry = EntryBlock(key: "user:42:profile", value: value, deadline: 1_234)
        defer { entry.deallocate() }
        #expect(entry.key == "user:42:profile")
        #expect(entry.keyCount == 15)
        #expect(entry.valueCount == 200)
        #expect(entry.value == value)
        #expect(entry.deadline == 1_234)
        #expect(entry.version == Self.version)
        #expect(entry.prev == nil && entry.next == nil && !entry.isReferenced)
        #expect(entry.keyHash == StableHash.hash("user:42:profile"))
        #expect(entry.address % UInt64(EntryBlock.alignment) == 0 && entry.address < EntryBlock.addressLimit)
        entry.markReferenced()
        entry.deadline = EntryDeadline.neverExpires
        #expect(entry.isReferenced && entry.deadline == EntryDeadline.neverExpires && entry.keyCount == 15)
        entry.clearReferenced()
        #expect(!entry.isReferenced && entry.keyCount == 15 && entry.value == value)
    }

    @Test func emptyKeyAndValue() {
        let entry = EntryBlock(key: "", value: [], deadline: EntryDeadline.neverExpires)
        defer { entry.deallocate() }
        #expect(entry.key.isEmpty)
        #expect(entry.value.isEmpty)
        #expect(entry.hasKey(""))
        #expect(!entry.hasKey("a"))
        #expect(entry.version == Self.version)
    }

    @Test func hasKeyComparesUTF8BytesNotCanonicalEquivalence() {
        let entry = EntryBlock(key: "caf\u{e9}", value: [1], deadline: EntryDeadline.neverExpires)
        defer { entry.deallocate() }
        #expect(entry.hasKey("caf\u{e9}"))
        #expect(!entry.hasKey("cafe\u{301}"))
        #expect(!entry.hasKey("caf"))
        #expect(!entry.hasKey("caf\u{e8}"))
        let long = EntryBlock(key: String(repeating: "k", count: 40), value: [], deadline: EntryDeadline.tombstone(9))
        defer { long.deallocate() }
        #expect(long.hasKey(String(repeating: "k", count: 40)))
        #expect(!long.hasKey(String(repeating: "k", count: 39) + "j"))
    }

    @Test func replacingTheValueKeepsKeyDeadlineVersionAndLinks() {
        let neighbour = EntryBlock(key: "neighbour", value: [0], deadline: 1)
        defer { neighbour.deallocate() }
        var entry = EntryBlock(key: "key-of-more-than-fifteen-bytes", value: [1, 2, 3], deadline: 77)
        defer { entry.deallocate() }
        entry.prev = neighbour
        entry.markReferenced()
        // Same size: in place, the referenced bit kept.
        let same = entry.replacingValue(with: [4, 5, 6])
        #expect(same == entry && entry.value == [4, 5, 6] && entry.isReferenced)
        for value in [[1], [UInt8](repeating: 9, count: 1_000), []] as [[UInt8]] {
            entry = entry.replacingValue(with: value)
            #expect(entry.value == value)
            #expect(entry.deadline == 77 && entry.version == Self.version)
            #expect(entry.key == "key-of-more-than-fifteen-bytes")
            #expect(entry.prev == neighbour && entry.next == nil)
        }
        var unicode = EntryBlock(key: "k\u{1F600}", value: [1, 2], deadline: EntryDeadline.neverExpires)
        defer { unicode.deallocate() }
        unicode = unicode.replacingValue(with: [3, 4, 5, 6])
        #expect(unicode.key == "k\u{1F600}" && unicode.keyCount == 5 && unicode.value == [3, 4, 5, 6])
    }

    @Test func valueIsACopyTheCallerMayChange() {
        let entry = EntryBlock(key: "k", value: [1, 2, 3], deadline: EntryDeadline.neverExpires)
        defer { entry.deallocate() }
        var copy = entry.value
        copy[0] = 99
        #expect(entry.value == [1, 2, 3])
    }

    @Test func droppingTheValueLeavesKeyVersionAndLinksWhateverTheSize() {
        let kept = EntryBlock.valueBytesKeptByTombstone
        let neighbour = EntryBlock(key: "neighbour", value: [0], deadline: 1)
        defer { neighbour.deallocate() }
        // Key lengths around the trailer's 8-byte alignment, values around the kept bound.
        for keyLength in [1, 7, 8, 24] {
            for size in [0, 1, 7, 8, 9, kept, kept + 1, 5_000] {
                let key = String(repeating: "k", count: keyLength)
                var entry = EntryBlock(key: key, value: [UInt8](repeating: 7, count: size), deadline: 5_000)
                entry.next = neighbour
                let original = entry
                entry = entry.droppingValue()
                defer { entry.deallocate() }
                #expect((entry == original) == (size <= kept), "\(keyLength), \(size)")
                #expect(entry.deadline == 5_000 && entry.version == Self.version)
                #expect(entry.key == key && entry.valueCount == 0 && entry.value.isEmpty)
                #expect(entry.next == neighbour && entry.prev == nil)
                entry = entry.replacingValue(with: [4, 2])
                #expect(entry.key == key && entry.value == [4, 2] && entry.next == neighbour)
            }
        }
    }
}

extension EntryBlock {
    /// A block for `key` and `value`, made as a shard makes a local write's.
    init(key: String, value: [UInt8], deadline: UInt64) {
        let version = Version(timestamp: HybridTimestamp(rawValue: 0x1234_5678), node: NodeID(rawValue: 99))
        self = value.withUnsafeBytes {
            EntryKey.string(key).makeBlock(value: $0, deadline: deadline, version: version)
        }
    }

    /// ``replacingValue(with:)`` with an array.
    func replacingValue(with value: [UInt8]) -> EntryBlock {
        value.withUnsafeBytes { replacingValue(with: $0) }
    }
}
