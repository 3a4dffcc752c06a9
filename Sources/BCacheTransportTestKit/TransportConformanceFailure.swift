import BCacheTransport

/// A conformance case that failed: which case, and what the transport did wrong.
public struct TransportConformanceFailure: Error, Sendable, CustomStringConvertible {
    /// The case that failed.
    public var testCase: TransportConformance.Case
    /// What the transport did wrong.
    public var message: String

    /// The failure of `testCase`, described by `message`.
    public init(testCase: TransportConformance.Case, message: String) {
        self.testCase = testCase
        self.message = message
    }

    public var description: String { "transport conformance '\(testCase)' failed: \(message)" }
}

/// A failed check inside a case; ``TransportConformance/run(_:)`` names the case.
struct CheckFailure: Error, CustomStringConvertible {
    var message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }
}
