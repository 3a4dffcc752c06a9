import BCache
import Testing

// The error a facade call threw, as a plain value: tests compare its code with `#expect(a == b)`.
// Cheaper to type-check than `#expect(throws:)` over typed-throws closures, which made a test
// file of this target take more than 25 minutes to compile once. The closures are untyped (a
// closure's thrown type is not inferred as `BCacheError`), so an error of another type is
// recorded as an issue: the facade throws only `BCacheError`.

/// The ``BCacheError`` `body` threw, or nil when it returned.
func caught(
    _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) -> BCacheError? {
    do {
        try body()
        return nil
    } catch {
        return bcacheError(error, sourceLocation: sourceLocation)
    }
}

/// The ``BCacheError`` `body` threw, or nil when it returned.
func caughtAsync(
    _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) async -> BCacheError? {
    do {
        try await body()
        return nil
    } catch {
        return bcacheError(error, sourceLocation: sourceLocation)
    }
}

private func bcacheError(_ error: any Error, sourceLocation: SourceLocation) -> BCacheError? {
    guard let error = error as? BCacheError else {
        Issue.record("the facade threw \(type(of: error)), not a BCacheError: \(error)", sourceLocation: sourceLocation)
        return nil
    }
    return error
}
