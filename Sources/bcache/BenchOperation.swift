/// One operation `bcache bench local` times.
enum BenchOperation: String, CaseIterable, Sendable {
    /// `get` of a stored key.
    case getHit = "get_hit"
    /// A borrowing read of a stored key (`withValue(forKey:)`): the bytes read in place.
    case getBorrow = "get_borrow"
    /// `get` of a key never stored.
    case getMiss = "get_miss"
    /// `set` of a stored key.
    case setOverwrite = "set_overwrite"
    /// `set` of a new key into a full store: every insert evicts one entry.
    case setNewEvict = "set_new_evict"
    /// `delete` of a stored key.
    case delete
    /// Nine `get` hits, then one `set` overwrite, repeated.
    case mix = "mix_90_10"

    /// The name in the printed table.
    var label: String {
        switch self {
        case .getHit: "get hit"
        case .getBorrow: "get borrow"
        case .getMiss: "get miss"
        case .setOverwrite: "set overwrite"
        case .setNewEvict: "set new (evicts)"
        case .delete: "delete"
        case .mix: "90% get / 10% set"
        }
    }

}
