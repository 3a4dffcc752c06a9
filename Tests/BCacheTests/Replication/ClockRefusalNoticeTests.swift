import BCacheBase
import Testing

@testable import BCache

/// The clock refusal notice (tag 0x0B): its bytes, and the refusal of hostile ones.
@Suite struct ClockRefusalNoticeTests {
    @Test func aNoticeIsItsTagAndTwoVarints() throws {
        let notice = ClockRefusalNotice(aheadMillis: 300_000, refused: 3)
        // 300,000 = 0x493E0: varint E0 A7 12.
        #expect(notice.encoded() == [0x0B, 0xE0, 0xA7, 0x12, 0x03])
        #expect(try ClockRefusalNotice.decode(notice.encoded()) == notice)
        #expect(ClockRefusalNotice.isNotice(notice.encoded()))
        let largest = ClockRefusalNotice(aheadMillis: .max, refused: .max)
        #expect(try ClockRefusalNotice.decode(largest.encoded()) == largest)
    }

    @Test(arguments: [
        [UInt8](),  // empty
        [0x0B],  // no ahead
        [0x0B, 0xE0, 0xA7, 0x12],  // no count
        [0x0B, 0x80],  // truncated varint
        [0x0B, 0x01, 0x01, 0x00],  // trailing byte
        [0x0A, 0x01, 0x01],  // another tag
        [0x0B, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02, 0x01],  // beyond 64 bits
        [0x0B, 0x81, 0x00, 0x01],  // non-canonical varint
    ])
    func aHostileNoticeIsRefused(bytes: [UInt8]) {
        #expect(throws: CodecError.self) { try ClockRefusalNotice.decode(bytes) }
    }
}
