/// A setting of `bcache node` that cannot be used, naming where it came from (an option, an
/// environment variable or a key of the settings file). The node does not start.
public struct NodeSettingsError: Error, Sendable, CustomStringConvertible {
    public let message: String

    package init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
