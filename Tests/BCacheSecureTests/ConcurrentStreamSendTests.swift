import BCacheBase
import BCacheTransport
import BCacheTransportTestKit
import Testing

@testable import BCacheSecure

/// Many tasks sending on one secure stream at once: frame numbers and the inner sends stay in
/// one order, so every frame opens.
@Suite struct ConcurrentStreamSendTests {
    @Test func concurrentSendersOnOneStreamNeverBreakIt() async throws {
        let bench = try Bench()
        let accepted = Sink(bench.receiver.incomingStreams)
        let stream = try await bench.sender.openStream(to: bench.receiver.localAddress)
        try await eventually("accepted") { accepted.count == 1 }
        let frames = Sink(accepted.snapshot[0].inboundFrames)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for number in 0..<50 { try await stream.send(frame: [UInt8(task), UInt8(number)]) }
                }
            }
            try await group.waitForAll()
        }
        try await eventually("every frame arrived") { frames.count == 400 }
        #expect(Set(frames.snapshot).count == 400)
        #expect(bench.receiver.statistics.totalRejectedFrames == 0)
        // Each task's own frames stay in its order.
        for task in 0..<8 {
            let own = frames.snapshot.filter { $0[0] == UInt8(task) }.map { $0[1] }
            #expect(own == (0..<50).map { UInt8($0) })
        }
    }
}
