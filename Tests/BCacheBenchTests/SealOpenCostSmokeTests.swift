import Testing

@testable import bcache

/// The secure transport's per-packet cost is measured without sockets and comes out positive:
/// sealing and opening cannot be free.
@Suite struct SealOpenCostSmokeTests {
    @Test func sealingAndOpeningCostSomething() async throws {
        let figures = try await SealOpenCost(count: 500, size: 1_200, rounds: 3).measure()
        #expect(figures.sealNanoseconds > 0)
        #expect(figures.openNanoseconds > 0)
    }
}
