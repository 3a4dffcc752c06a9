import CSodium
import Testing

@Suite struct SodiumInitTests {
    @Test func sodiumInitializes() {
        // 0: initialized now; 1: already initialized. -1 is failure.
        #expect(sodium_init() >= 0)
    }

    @Test func randomBytesAreFilled() {
        #expect(sodium_init() >= 0)
        var buffer = [UInt8](repeating: 0, count: 64)
        buffer.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, $0.count) }
        // 64 zero bytes from a working generator has probability 2^-512.
        #expect(buffer.contains { $0 != 0 })
    }
}
