/// The error of a filler that ran on another node, as that node described it: the
/// ``BCacheError/cause`` of a ``BCacheError/Code/fillFailed`` answered by the key's owner
/// (`get(_:ttl:timeout:filler:)` with ``BCache/OwnerFill`` enabled). The original error stays on
/// the node that filled; only its description crosses the network (at most 1 KiB of UTF-8).
public struct RemoteFillError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The filler's error, described by the node that ran it.
    public let message: String

    package init(message: String) {
        self.message = message
    }

    public var description: String { "RemoteFillError: \(message)" }
}
