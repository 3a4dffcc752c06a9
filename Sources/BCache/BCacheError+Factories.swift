import BCacheCore

/// The library's ways of making a ``BCacheError``, one per situation, so that each code's message
/// and cause are written in one place.
extension BCacheError {
    package static func invalidConfiguration(_ message: String, cause: (any Error)? = nil) -> BCacheError {
        BCacheError(.invalidConfiguration, message, cause: cause)
    }

    package static func transportFailed(_ message: String, cause: any Error) -> BCacheError {
        BCacheError(.transportFailed, message, cause: cause)
    }

    package static func joinFailed(_ message: String, cause: (any Error)? = nil) -> BCacheError {
        BCacheError(.joinFailed, message, cause: cause)
    }

    package static func alreadyStarted() -> BCacheError {
        BCacheError(.alreadyStarted, "the cache is already running")
    }

    package static func stopped(_ message: String, cause: (any Error)? = nil) -> BCacheError {
        BCacheError(.stopped, message, cause: cause)
    }

    package static func cancelled(_ message: String) -> BCacheError {
        BCacheError(.cancelled, message)
    }

    /// The store refused a write: the store's code mapped to the facade's, the store's error kept
    /// as the cause.
    package static func refused(_ error: StoreError) -> BCacheError {
        let code: Code
        switch error.code {
        case .keyTooLarge: code = .keyTooLarge
        case .valueTooLarge: code = .valueTooLarge
        default: code = .entryTooLarge
        }
        return BCacheError(code, error.message, cause: error)
    }

    package static func encodingFailed(_ message: String, cause: any Error) -> BCacheError {
        BCacheError(.encodingFailed, message, cause: cause)
    }

    package static func decodingFailed(_ message: String, cause: any Error) -> BCacheError {
        BCacheError(.decodingFailed, message, cause: cause)
    }

    package static func fillTimedOut(key: String, after timeout: Duration) -> BCacheError {
        BCacheError(.fillTimedOut, "the filler of '\(key)' did not return within \(timeout)")
    }

    package static func fillFailed(key: String, cause: any Error) -> BCacheError {
        BCacheError(.fillFailed, "the filler of '\(key)' threw", cause: cause)
    }
}
