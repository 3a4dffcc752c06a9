import Testing

@testable import BCacheSecure

/// Nonces are random and never repeat, across refills of the pool they are drawn from.
@Suite struct NonceTests {
    @Test func noncesNeverRepeatAcrossManyPoolRefills() {
        var seen = Set<[UInt8]>()
        for _ in 0..<10_000 {
            var nonce = [UInt8](repeating: 0, count: 24)
            nonce.withUnsafeMutableBytes { NonceSource.random.fill($0) }
            seen.insert(nonce)
        }
        #expect(seen.count == 10_000)
    }

    @Test func sealingTheSamePacketTwiceGivesDifferentBytes() async throws {
        let bench = try Bench()
        let first = try await bench.sealed([1, 2, 3])
        let second = try await bench.sealed([1, 2, 3])
        #expect(first.count == second.count)
        #expect(first[13..<37] != second[13..<37])  // nonces
        #expect(first[37...] != second[37...])  // ciphertexts
    }
}
