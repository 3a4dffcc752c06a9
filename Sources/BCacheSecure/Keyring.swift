import Synchronization

/// The keys of an encrypted cluster: one primary key seals, every installed key opens.
///
/// A sealed message names its key by ``KeyID``, so opening looks up exactly one key instead of
/// trying each. Rotation on a live cluster, with no message lost (see `Docs/SECURITY.md`):
///
/// 1. ``install(_:)`` the new key on every node (every node can now open it);
/// 2. ``use(_:)`` it on every node (each node now seals with it; the others already open it);
/// 3. wait at least the secure transport's maximum message age, so that no message sealed with
///    the old key can still be accepted anywhere, then ``remove(_:)`` the old key on every node.
///
/// Thread-safe: the transport reads it on every message while an operator rotates keys.
///
/// ```swift
/// let keyring = Keyring(primary: try SecretKey(base64: current))
/// try keyring.install(try SecretKey(base64: next))
/// ```
public final class Keyring: Sendable, CustomStringConvertible {
    private struct State {
        var primary: SecretKey
        /// Installed keys in installation order, the primary included.
        var keys: [SecretKey]
    }

    private let state: Mutex<State>

    /// A keyring holding `primary` (and `others`, which open but do not seal).
    public init(primary: SecretKey, others: [SecretKey] = []) {
        var keys = [primary]
        for key in others where !keys.contains(where: { $0.id == key.id }) { keys.append(key) }
        state = Mutex(State(primary: primary, keys: keys))
    }

    /// The key that seals.
    public var primaryKey: SecretKey { state.withLock { $0.primary } }

    /// The ID of the key that seals.
    public var primaryKeyID: KeyID { primaryKey.id }

    /// The IDs of every installed key, in installation order (the primary included).
    public var keyIDs: [KeyID] { state.withLock { $0.keys.map(\.id) } }

    /// The installed key with `id`, nil when none has it.
    public func key(for id: KeyID) -> SecretKey? {
        state.withLock { state in
            // A handful of keys at most: a scan beats hashing.
            for key in state.keys where key.id == id { return key }
            return nil
        }
    }

    /// Adds `key` so that messages sealed with it open here. Installing a key already installed
    /// does nothing.
    public func install(_ key: SecretKey) {
        state.withLock { state in
            guard !state.keys.contains(where: { $0.id == key.id }) else { return }
            state.keys.append(key)
        }
    }

    /// Makes the installed key with `id` the primary key: from now on, messages are sealed with it.
    ///
    /// - Throws: ``KeyringError`` with code ``KeyringError/Code/notInstalled``.
    public func use(_ id: KeyID) throws(KeyringError) {
        try state.withLock { state throws(KeyringError) in
            guard let key = state.keys.first(where: { $0.id == id }) else {
                throw KeyringError(.notInstalled, "no installed key has ID \(id)")
            }
            state.primary = key
        }
    }

    /// Makes `key` the primary key; it must be installed.
    ///
    /// - Throws: ``KeyringError`` with code ``KeyringError/Code/notInstalled``.
    public func use(_ key: SecretKey) throws(KeyringError) {
        try use(key.id)
    }

    /// Removes the key with `id`: messages sealed with it no longer open here.
    ///
    /// - Throws: ``KeyringError`` with code ``KeyringError/Code/removingPrimary`` for the primary
    ///   key, ``KeyringError/Code/notInstalled`` when no installed key has `id`.
    public func remove(_ id: KeyID) throws(KeyringError) {
        try state.withLock { state throws(KeyringError) in
            guard state.primary.id != id else {
                throw KeyringError(
                    .removingPrimary, "key \(id) is the primary key; make another key primary before removing it")
            }
            guard let index = state.keys.firstIndex(where: { $0.id == id }) else {
                throw KeyringError(.notInstalled, "no installed key has ID \(id)")
            }
            state.keys.remove(at: index)
        }
    }

    /// Removes `key`.
    ///
    /// - Throws: as ``remove(_:)-(KeyID)``.
    public func remove(_ key: SecretKey) throws(KeyringError) {
        try remove(key.id)
    }

    /// `Keyring(primary: <id>, keys: [<ids>])`: key IDs only.
    public var description: String {
        state.withLock {
            "Keyring(primary: \($0.primary.id), keys: [\($0.keys.map(\.id.description).joined(separator: ", "))])"
        }
    }
}
