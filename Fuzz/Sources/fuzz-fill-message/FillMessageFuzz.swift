import BCacheCore
import FuzzSupport

@testable import BCache

// Fuzzes the cluster-wide filling decoder (`FillMessage.decode`), which reads every fill request,
// answer and report (absent outcomes included) a peer sends as a user packet or stream frame.
//
// Invariant on top of "no crash": every accepted message re-encodes to exactly the input
// (canonical varints, exact UTF-8, no trailing bytes), and tighter codec limits never accept what
// the defaults refuse.

private let tightLimits = CodecLimits(maxKeyBytes: 8, maxValueBytes: 32)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFillMessage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    guard let message = try? FillMessage.decode(bytes, limits: CodecLimits()) else {
        Fuzz.require((try? FillMessage.decode(bytes, limits: tightLimits)) == nil, "tight limits accepted more")
        return 0
    }
    Fuzz.require(message.encoded() == bytes, "fill message re-encoding differs from the accepted input")
    if let tight = try? FillMessage.decode(bytes, limits: tightLimits) {
        Fuzz.require(tight == message, "tight limits decoded another message")
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initializeFillMessage(
    _ argc: UnsafeMutablePointer<CInt>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    Fuzz.writeSeedsIfAsked(fillMessageSeeds)
    return 0
}

/// One message of each kind and outcome.
func fillMessageSeeds() -> [(name: String, bytes: [UInt8])] {
    [
        ("request", FillMessage.request(id: 1, key: "user:42").encoded()),
        ("answer-value", FillMessage.answer(id: 300, .outcome(.value([1, 2, 3]))).encoded()),
        ("answer-failed", FillMessage.answer(id: 2, .outcome(.failed("database down"))).encoded()),
        ("answer-fill-yourself", FillMessage.answer(id: 3, .fillYourself).encoded()),
        ("report-value", FillMessage.report(id: 4, key: "k", .value([9, 9])).encoded()),
        ("report-failed", FillMessage.report(id: 5, key: "k", .failed("timeout")).encoded()),
        ("answer-absent", FillMessage.answer(id: 6, .outcome(.absent)).encoded()),
        ("report-absent", FillMessage.report(id: 7, key: "user:404", .absent).encoded()),
    ]
}
