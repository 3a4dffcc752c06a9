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

    @Test(arguments: [[0x05], [0x05, 0x80], [0x05, 0x01, 0x00], [0x03, 0x01], []] as [[UInt8]])
    func malformedBytesThrow(bytes: [UInt8]) {
        let decoded: ReplayRequest? = try? ReplayRequest.decode(bytes)
        #expect(decoded == nil)
    }
}
