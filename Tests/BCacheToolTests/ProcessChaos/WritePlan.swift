/// The keys a node's writer writes, in order: its own keys and keys every node writes, in turn.
///
/// Write `j` of node `n` is, for even `j`, the node's own key `solo-<name>-<j/2 mod soloKeys>`
/// (one writer: the last acknowledged write must win) and, for odd `j`, the shared key
/// `shared-<(j/2 + n) mod sharedKeys>`: every node cycles through the same shared keys, one
/// step apart, so writes to one key from different nodes overlap in time.
struct WritePlan {
    var soloKeys: Int
    var sharedKeys: Int

    /// The first `count` keys of node `index` (named `name`).
    func keys(ofNode index: Int, named name: String, count: Int) -> [String] {
        (0..<count).map { write in
            write % 2 == 0
                ? "solo-\(name)-\((write / 2) % soloKeys)"
                : "shared-\((write / 2 + index) % sharedKeys)"
        }
    }
}
