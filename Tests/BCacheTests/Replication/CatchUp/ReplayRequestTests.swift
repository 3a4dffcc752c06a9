import BCacheCore
import Testing

@testable import BCache

/// The replay request's bytes: a round trip, and hostile input rejected with an error.
@Suite struct ReplayRequestTests {
    @Test func aRequestRoundTrips() throws {
        let request = ReplayRequest(age: .milliseconds(12_345))
        let bytes = request.encoded()
        #expect(bytes == [0x05, 0xB9, 0x60])
        #expect(ReplayRequest.isRequest(bytes))
        #expect(try ReplayRequest.decode(bytes) == request)
    }

    @Test func anAgeTooLargeForADurationIsClampedNotATrap() throws {
        let bytes: [UInt8] = [0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
        let decoded = try ReplayRequest.decode(bytes)
        #expect(decoded.age == .milliseconds(Int64.max))
    }

    @Test func anUnlimitedOrNegativeAgeEncodesClampedNotATrap() throws {
        // `comebackMargin` may be "unlimited" (`.seconds(Int64.max)`): its milliseconds overflow.
        let unlimited = try ReplayRequest.decode(ReplayRequest(age: .seconds(Int64.max)).encoded())
        #expect(unlimited.age == .milliseconds(Int64.max))
        let negative = try ReplayRequest.decode(ReplayRequest(age: .seconds(-5)).encoded())
        #expect(negative.age == .zero)
    }

    /// Found by `fuzz-sync-frame`: an age within a second of the largest a `Duration` of
    /// milliseconds holds re-encoded as "unlimited".
    @Test func theLargestAgesRoundTripExactly() throws {
        let found: [UInt8] = [0x05, 0xFF, 0xFD, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        let request = try ReplayRequest.decode(found)
        #expect(try ReplayRequest.decode(request.encoded()) == request)
        #expect(request.encoded() == found)
        for milliseconds in [Int64.max, Int64.max - 1, Int64.max - 807, Int64.max - 808] {
            let largest = ReplayRequest(age: .milliseconds(milliseconds))
            #expect(try ReplayRequest.decode(largest.encoded()) == largest, "\(milliseconds) ms")
        }
    }

    @Test(arguments: [[0x05], [0x05, 0x80], [0x05, 0x01, 0x00], [0x03, 0x01], []] as [[UInt8]])
    func malformedBytesThrow(bytes: [UInt8]) {
        let decoded: ReplayRequest? = try? ReplayRequest.decode(bytes)
        #expect(decoded == nil)
    }
}
