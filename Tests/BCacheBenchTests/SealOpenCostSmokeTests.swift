import Testing

@testable import bcache

/// The secure transport's per-packet cost is measured without sockets. The figures are
/// differences of two wall-clock timings, which a loaded machine can make negative, so the test
/// checks what the measurement did (it sealed and opened every packet, and produced figures),
/// never how fast it was.
@Suite struct SealOpenCostSmokeTests {
    @Test func theMeasurementSealsAndOpensEveryPacket() async throws {
        let figures = try await SealOpenCost(count: 500, size: 1_200, rounds: 3).measure()
        #expect(figures.sealedPacketBytes > 1_200)
        #expect(figures.sealNanoseconds.isFinite)
        #expect(figures.openNanoseconds.isFinite)
    }
}
