/// A key as a shard's writes get it: a local call's `String`, or a received record's bytes
/// (see ``RemoteRecord``). Local writes find the entry by the string as reads do, and turn it
/// into bytes only to make a new entry's block; received records never make a string.
enum EntryKey {
    case string(String)
    case bytes(UnsafeRawBufferPointer)

    /// The key's UTF-8 byte count.
    var count: Int {
        switch self {
        case .string(let key): key.utf8.count
        case .bytes(let key): key.count
        }
    }

    /// A new entry block for this key with `value`, `deadline` and `version`.
    func makeBlock(value: UnsafeRawBufferPointer, deadline: UInt64, version: Version) -> EntryBlock {
        switch self {
        case .string(var key):
            key.withUTF8 {
                EntryBlock(
                    keyBytes: UnsafeRawBufferPointer($0), valueBytes: value, deadline: deadline, version: version)
            }
        case .bytes(let key):
            EntryBlock(keyBytes: key, valueBytes: value, deadline: deadline, version: version)
        }
    }
}
