import BCacheTransport
import FuzzSupport
import NIOCore

@testable import BCacheTransportTCP

// Fuzzes the TCP stream framing: `FrameDecoder` on an accepted connection (a `ConnectionHello`
// first, then frames bounded by the hello's kind) and on an opened one (frames only), fed the
// input as a byte stream.
//
// Invariants on top of "no crash": the frames and the error do not depend on how the stream is
// cut into reads (the input is decoded whole, then in chunks of sizes drawn from the input); no
// frame exceeds its limit; an accepted hello re-encodes to exactly the bytes it was read from.

private let packetLimit = 1_400
private let frameLimit = 2_048

/// What a decoder made of a stream, comparable across chunkings.
private enum Outcome: Equatable {
    case hello(ConnectionHello)
    case payload([UInt8])
    case failure(String)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTCPFraming(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    var choices = Fuzz.Choices(bytes)
    var chunks: [Int] = []
    var covered = 0
    while covered < bytes.count {
        let chunk = min(1 + choices.next(below: 16), bytes.count - covered)
        chunks.append(chunk)
        covered += chunk
    }
    let accepting = { FrameDecoder.accepting(packetLimit: packetLimit, frameLimit: frameLimit) }
    let whole = decode(bytes, chunks: [bytes.count], decoder: accepting())
    Fuzz.require(decode(bytes, chunks: chunks, decoder: accepting()) == whole, "accepting: chunking changed the frames")
    checkHello(whole, bytes)
    let opening = decode(bytes, chunks: [bytes.count], decoder: .frames(limit: frameLimit))
    Fuzz.require(
        decode(bytes, chunks: chunks, decoder: .frames(limit: frameLimit)) == opening,
        "opening: chunking changed the frames")
    return 0
}

/// Feeds `bytes` to `decoder` in reads of `chunks` bytes, as NIO's cumulation buffer would.
private func decode(_ bytes: [UInt8], chunks: [Int], decoder: FrameDecoder) -> [Outcome] {
    var decoder = decoder
    var buffer = ByteBuffer()
    var outcomes: [Outcome] = []
    var limit = frameLimit
    var start = 0
    for chunk in chunks {
        buffer.writeBytes(bytes[start..<start + chunk])
        start += chunk
        do {
            while let frame = try decoder.decodeFrame(from: &buffer) {
                switch frame {
                case .hello(let hello):
                    limit = hello.kind == .packets ? packetLimit : frameLimit
                    outcomes.append(.hello(hello))
                case .payload(let payload):
                    Fuzz.require(payload.readableBytes <= limit, "a frame over its limit was delivered")
                    outcomes.append(.payload(Array(payload.readableBytesView)))
                }
            }
        } catch {
            // The handler closes the connection on the first error: nothing after it counts.
            outcomes.append(.failure("\(error.code)"))
            return outcomes
        }
    }
    return outcomes
}

/// An accepted hello is the input's first frame: its encoding must be exactly those bytes.
private func checkHello(_ outcomes: [Outcome], _ bytes: [UInt8]) {
    guard case .hello(let hello) = outcomes.first else { return }
    var buffer = ByteBuffer()
    hello.encode(into: &buffer)
    Fuzz.require(
        Array(buffer.readableBytesView) == Array(bytes.prefix(buffer.readableBytes)),
        "hello re-encoding differs from the input")
}

@_cdecl("LLVMFuzzerInitialize")
public func initializeTCPFraming(
    _ argc: UnsafeMutablePointer<CInt>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    Fuzz.writeSeedsIfAsked(tcpFramingSeeds)
    return 0
}

/// Streams as a peer opens them: a hello of each kind followed by frames, and hellos alone.
func tcpFramingSeeds() -> [(name: String, bytes: [UInt8])] {
    func stream(_ hello: ConnectionHello?, frames: [[UInt8]]) -> [UInt8] {
        var buffer = ByteBuffer()
        hello?.encode(into: &buffer)
        for frame in frames {
            buffer.writeInteger(UInt32(frame.count))
            buffer.writeBytes(frame)
        }
        return Array(buffer.readableBytesView)
    }
    let packets = ConnectionHello(kind: .packets, listeningAddress: NodeAddress(host: "127.0.0.1", port: 7946))
    let streamHello = ConnectionHello(kind: .stream, listeningAddress: NodeAddress(host: "::", port: 40000))
    let named = ConnectionHello(kind: .stream, listeningAddress: NodeAddress(host: "cache-1.internal", port: 1))
    return [
        ("hello-packets", stream(packets, frames: [])),
        ("packets", stream(packets, frames: [[0xBC, 0x4D, 1, 1, 0, 0], [], Array(repeating: 0xAA, count: 300)])),
        ("stream", stream(streamHello, frames: [[1, 2, 3], Array(repeating: 0x55, count: 1_500)])),
        ("stream-named-host", stream(named, frames: [[4]])),
        ("frames-only", stream(nil, frames: [[9, 9], [], [1]])),
    ]
}
