import BCacheCore
import BCacheTransport

/// A member's request for this node's own recent writes: the other half of a comeback
/// (``CatchUpPlanner/Action/askForReplay(from:since:)``), sent as one direct user packet
/// (`Docs/PROTOCOL.md`, "Direct replication").
///
/// ```
/// replay request = 0x05 | age varint (milliseconds: the writes made since that long ago)
/// ```
///
/// An age rather than a time: the two nodes' clocks need not agree. The 0x05 tag sets it apart
/// from the sync frames (0x01–0x04) and the tree's envelopes (0x15) on the same channel.
struct ReplayRequest: Equatable, Sendable {
    /// How far back the asker wants this node's writes.
    var age: Duration

    static let tag: UInt8 = 0x05

    /// Whether `bytes` start like a replay request.
    static func isRequest(_ bytes: [UInt8]) -> Bool { bytes.first == tag }

    func encoded() -> [UInt8] {
        var writer = ByteWriter(reservingCapacity: 11)
        writer.writeByte(Self.tag)
        // Clamped, not trapping: the age comes from `comebackMargin`, and "unlimited" there is a
        // valid setting (`.seconds(Int64.max)`), whose milliseconds do not fit 64 bits. Clamped
        // only when they do not fit: the fuzzer found that a cut at `Int64.max / 1000` seconds
        // clamped ages up to 0.8 s below the largest that fits, so that a decoded request
        // re-encoded to another one.
        let (seconds, attoseconds) = age.components
        let (whole, overflowed) = seconds.multipliedReportingOverflow(by: 1000)
        let (total, overflowedAgain) = whole.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        let milliseconds: UInt64 = age <= .zero ? 0 : overflowed || overflowedAgain ? .max : UInt64(total)
        writer.writeVarint(milliseconds)
        return writer.bytes
    }

    /// Decodes a request that fills `bytes` exactly. Any age decodes: the log answers only what
    /// it still holds, and an older window becomes one rate-limited exchange.
    static func decode(_ bytes: [UInt8]) throws(CodecError) -> ReplayRequest {
        var reader = ByteReader(bytes)
        let tagByte = try reader.readByte()
        guard tagByte == tag else { throw CodecError(.unknownStateTag, "not a replay request: tag \(tagByte)") }
        let milliseconds = try reader.readVarint()
        try reader.expectEnd()
        return ReplayRequest(age: .milliseconds(Int64(clamping: milliseconds)))
    }
}

/// Hands the replay requests the ``ReplicationReceiver`` decodes to the ``CatchUpReactor``.
/// Bounded: beyond 1,024 requests not yet handled, the oldest are dropped (the asker's own
/// event-driven replay and the periodic anti-entropy still repair).
final class ReplayRequestInbox: Sendable {
    struct Request: Sendable {
        var sender: NodeAddress
        var age: Duration
    }

    let requests: AsyncStream<Request>
    private let sink: AsyncStream<Request>.Continuation
    /// Counts each request until the reactor has acted on it.
    private let work: SimulationWork

    init(work: SimulationWork = .untracked) {
        self.work = work
        (requests, sink) = AsyncStream.makeStream(of: Request.self, bufferingPolicy: .bufferingNewest(1024))
    }

    func receive(_ request: ReplayRequest, from sender: NodeAddress) {
        work.began()
        // The newest 1,024 are kept: the one pushed out was counted and is never acted on.
        if case .dropped = sink.yield(Request(sender: sender, age: request.age)) { work.finished() }
    }

    /// Ends ``requests`` (the node stopped).
    func finish() {
        sink.finish()
    }
}
