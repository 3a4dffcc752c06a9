/// Why the demo stopped: what was expected, and the last log lines of the node concerned.
struct DemoError: Error, CustomStringConvertible {
    let message: String
    /// The end of the node's standard error, when the error is about one node.
    let details: [String]

    init(_ message: String, details: [String] = []) {
        self.message = message
        self.details = details
    }

    var description: String {
        ([message] + details.map { "  | \($0)" }).joined(separator: "\n")
    }
}
