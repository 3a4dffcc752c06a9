import BCacheCore
import Testing

@testable import BCache

/// The fill messages' wire format: round trips, and every hostile input refused with its code.
@Suite struct FillMessageTests {
    let limits = CodecLimits(maxKeyBytes: 16, maxValueBytes: 32)

    /// The code `bytes` are refused with, nil when they decode.
    func refusal(_ bytes: [UInt8]) -> CodecError.Code? {
        do {
            _ = try FillMessage.decode(bytes, limits: limits)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func everyMessageRoundTrips() throws {
        let messages: [FillMessage] = [
            .request(id: 1, key: "user:42"),
            .request(id: .max, key: ""),
            .answer(id: 7, .outcome(.value([1, 2, 3]))),
            .answer(id: 7, .outcome(.value([]))),
            .answer(id: 8, .outcome(.failed("database down"))),
            .answer(id: 9, .fillYourself),
            .report(id: 3, key: "k", .value([9])),
            .report(id: 4, key: "k", .failed("timeout")),
            .answer(id: 10, .outcome(.absent)),
            .answer(id: .max, .outcome(.absent)),
            .report(id: 11, key: "user:404", .absent),
            .report(id: 0, key: "", .absent),
            .refresh(id: 5, key: "user:42", seen: 0x0001_8F3A_2B4C_0001),
            .refresh(id: .max, key: "", seen: .max),
        ]
        for message in messages {
            let bytes: [UInt8] = message.encoded()
            #expect(FillMessage.isFillMessage(bytes))
            #expect(try FillMessage.decode(bytes, limits: limits) == message)
        }
    }

    @Test func theWireFormatIsAsDocumented() {
        let request: [UInt8] = FillMessage.request(id: 5, key: "ab").encoded()
        #expect(request == [0x06, 0x05, 0x02, 0x61, 0x62])
        let answer: [UInt8] = FillMessage.answer(id: 5, .outcome(.value([0xAA]))).encoded()
        #expect(answer == [0x07, 0x05, 0x00, 0x01, 0xAA])
        let report: [UInt8] = FillMessage.report(id: 5, key: "a", .failed("x")).encoded()
        #expect(report == [0x08, 0x05, 0x01, 0x61, 0x01, 0x01, 0x78])
        #expect(FillMessage.answer(id: 1, .fillYourself).encoded() == [0x07, 0x01, 0x02])
        #expect(FillMessage.refresh(id: 5, key: "a", seen: 300).encoded() == [0x09, 0x05, 0x01, 0x61, 0xAC, 0x02])
        // Negative caching: the absent outcome is one byte, in answers and reports alike.
        #expect(FillMessage.answer(id: 5, .outcome(.absent)).encoded() == [0x07, 0x05, 0x03])
        #expect(FillMessage.report(id: 5, key: "a", .absent).encoded() == [0x08, 0x05, 0x01, 0x61, 0x03])
    }

    @Test func theTagsAreOnesOtherDecodersRefuse() {
        // Nodes of earlier versions read these as sync frames: the tags must be unknown there.
        for tag: UInt8 in [0x06, 0x07, 0x08, 0x09] {
            #expect(!ReplayRequest.isRequest([tag]))
            #expect(!EpidemicBroadcast.Envelope.isEnvelope([tag, 0, 0, 0, 0, 0, 0, 0, 0, 0]))
            let sync: CodecError.Code?
            do {
                _ = try SyncFrame.decode([tag, 0x00], limits: limits)
                sync = nil
            } catch {
                sync = error.code
            }
            #expect(sync == .unknownStateTag)
        }
    }

    @Test func truncatedMessagesAreRefused() {
        let messages: [FillMessage] = [
            .report(id: 300, key: "key", .value([1, 2, 3])), .refresh(id: 300, key: "key", seen: 1 << 40),
            .report(id: 300, key: "key", .absent), .answer(id: 300, .outcome(.absent)),
        ]
        for message in messages {
            let whole: [UInt8] = message.encoded()
            for count in 0..<whole.count {
                #expect(refusal(Array(whole.prefix(count))) == .truncated, "\(message): \(count) bytes")
            }
        }
    }

    @Test func oversizedFieldsAreRefusedBeforeTheyAreRead() {
        // A key of 17 bytes, a value of 33, a message of 1025: each one past its limit, the
        // length announced without the bytes (nothing is allocated by it).
        #expect(refusal([0x06, 0x01, 17]) == .lengthExceedsLimit)
        #expect(refusal([0x07, 0x01, 0x00, 33]) == .lengthExceedsLimit)
        #expect(refusal([0x07, 0x01, 0x01, 0x81, 0x08]) == .lengthExceedsLimit)
        #expect(refusal([0x07, 0x01, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) == .lengthExceedsLimit)
    }

    @Test func unknownTagsKindsAndTrailingBytesAreRefused() {
        #expect(refusal([0x0A, 0x01]) == .unknownStateTag)
        #expect(refusal([0x07, 0x01, 0x04]) == .unknownStateTag)
        #expect(refusal([0x08, 0x01, 0x01, 0x61, 0x04]) == .unknownStateTag)
        // The absent outcome carries nothing: any byte after it is refused.
        #expect(refusal([0x07, 0x01, 0x03, 0x00]) == .trailingBytes)
        #expect(refusal([0x08, 0x01, 0x01, 0x61, 0x03, 0xEE]) == .trailingBytes)
        #expect(refusal([0x08, 0x01, 0x01, 0x61, 0x02]) == .unknownStateTag)
        #expect(refusal([0x07, 0x01, 0x02, 0x00]) == .trailingBytes)
        #expect(refusal([0x06, 0x01, 0x01, 0xFF]) == .invalidUTF8)
    }

    @Test func longErrorsAreCutOnACharacterBoundary() throws {
        let long = String(repeating: "é", count: 600)
        let bytes: [UInt8] = FillMessage.answer(id: 1, .outcome(.failed(long))).encoded()
        guard case .answer(_, .outcome(.failed(let message))) = try FillMessage.decode(bytes, limits: limits) else {
            Issue.record("not a failed answer")
            return
        }
        #expect(message.utf8.count == 1024)
        #expect(message == String(repeating: "é", count: 512))
    }

    @Test func randomBytesNeverTrap() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let count = Int.random(in: 0..<48, using: &generator)
            var bytes: [UInt8] = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if !bytes.isEmpty { bytes[0] = UInt8.random(in: 6...8, using: &generator) }
            _ = try? FillMessage.decode(bytes, limits: limits)
        }
    }
}
