/// The one shape of BCache's public errors: a struct with an opaque `Code` and a message.
///
/// A struct rather than an enum, so that a module can add codes without breaking users who switch
/// over them; the `Code` is a struct of `static let`s over a private enum. Two errors are equal
/// when their codes are (the message carries details and is for people), and every error
/// describes itself the same way, `TypeName.code: message` (as `Membership.NodeError.stopped: …`).
///
/// `package`, so it adds no public API: each conforming type still declares its public
/// `description`, `==` and `hash(into:)`, as one-liners over ``codedDescription`` and ``code``.
package protocol CodedError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kinds of this error: a struct of `static let`s whose `description` is the code's name.
    associatedtype Code: Hashable, Sendable, CustomStringConvertible

    /// What kind of failure this is.
    var code: Code { get }
    /// What happened and what to change, for people.
    var message: String { get }
}

extension CodedError {
    /// `TypeName.code: message`: the type's name as users write it (without the module, with its
    /// namespace, as `Membership.WireError`), the code's name, then the message.
    package var codedDescription: String {
        let qualified = String(reflecting: Self.self)
        let name = qualified.firstIndex(of: ".").map { qualified[qualified.index(after: $0)...] } ?? qualified[...]
        return "\(name).\(code): \(message)"
    }
}
