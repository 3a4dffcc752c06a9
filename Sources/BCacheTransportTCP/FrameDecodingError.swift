import BCacheTransport

/// Why the bytes on a connection broke the framing. The connection is closed, and the error is
/// counted and, on a stream, thrown from its inbound frames as a ``BCacheTransport/TransportError``.
struct FrameDecodingError: Error, Sendable, CustomStringConvertible {
    /// `frameTooLarge` for a length prefix over the limit, `malformed` for anything else.
    var code: TransportError.Code
    var message: String

    init(_ code: TransportError.Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { message }

    var transportError: TransportError { TransportError(code, message) }
}
