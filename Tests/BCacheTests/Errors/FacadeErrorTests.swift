import BCache
import BCacheTestKit
import Foundation
import Testing

/// The facade throws one type, `BCacheError`: each code a user can meet, with its cause kept.
@Suite struct FacadeErrorTests {
    struct Unencodable: Encodable {
        func encode(to encoder: any Encoder) throws {
            throw EncodingError.invalidValue(
                0, EncodingError.Context(codingPath: [], debugDescription: "cannot be encoded"))
        }
    }

    @Test func aTooLargeKeyIsKeyTooLargeWithTheStoresErrorAsCause() async throws {
        let cache = try await makeLocalCache()
        let key = String(repeating: "k", count: 70_000)
        let error = caught { try cache.set(key, "v") }
        #expect(error?.code == .keyTooLarge)
        let cause = error?.cause as? StoreError
        #expect(cause?.code == .keyTooLarge)
        #expect(cache.count == 0)
        await cache.shutdown()
    }

    @Test func aTooLargeValueIsValueTooLarge() async throws {
        let cache = try await makeLocalCache { $0.store.maxValueBytes = 16 }
        let value = [UInt8](repeating: 1, count: 17)
        let error = caught { try cache.set("big", value) }
        #expect(error?.code == .valueTooLarge)
        let text = caught { try cache.set("big", String(repeating: "x", count: 17)) }
        #expect(text?.code == .valueTooLarge)
        #expect(cache.get("big") == nil)
        await cache.shutdown()
    }

    @Test func anEntryLargerThanAShardsShareIsEntryTooLarge() async throws {
        let cache = try await makeLocalCache { configuration in
            configuration.store.maxBytes = 16 * 1_024
            configuration.store.maxValueBytes = 8 * 1_024
        }
        let value = [UInt8](repeating: 1, count: 8 * 1_024)
        let error = caught { try cache.set("big", value) }
        #expect(error?.code == .entryTooLarge)
        await cache.shutdown()
    }

    @Test func aValueThatDoesNotEncodeIsEncodingFailedWithTheEncodersError() async throws {
        let cache = try await makeLocalCache()
        let error = caught { try cache.set("k", codable: Unencodable()) }
        #expect(error?.code == .encodingFailed)
        #expect(error?.cause is EncodingError)
        #expect(cache.get("k") == nil)
        await cache.shutdown()
    }

    // fillFailed (with the filler's error as cause), fillTimedOut and cancelled: FillerTests.

    @Test func aPortInUseKeepsTheTransportErrorAsCause() async throws {
        let network = InMemoryNetwork(seed: 3, clock: .real)
        let first = try await BCache(
            configuration: .forTesting(on: network, listen: "10.0.0.1:7946", name: "first"))
        let error = await caughtAsync {
            _ = try await BCache(configuration: .forTesting(on: network, listen: "10.0.0.1:7946", name: "second"))
        }
        #expect(error?.code == .transportFailed)
        let cause = error?.cause as? TransportError
        #expect(cause?.code == .bindFailed)
        #expect(error?.description.contains("TransportError.bindFailed") == true)
        await first.shutdown()
    }

    @Test func aBadSeedKeepsTheParseErrorAsCause() async throws {
        var configuration = BCache.Configuration.forTesting(
            on: InMemoryNetwork(seed: 4, clock: .real), listen: "10.0.0.1:7946", name: "n")
        configuration.network.seeds = ["no port here"]
        let error = await caughtAsync { _ = try await BCache(configuration: configuration) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.cause is AddressParseError)
    }

    @Test func errorsAreEqualByCodeWhateverTheirCauses() throws {
        let store = StoreError(.valueTooLarge, "a")
        #expect(BCacheError.refused(store) == BCacheError.refused(StoreError(.valueTooLarge, "b")))
        #expect(BCacheError.refused(store) != BCacheError.refused(StoreError(.keyTooLarge, "a")))
        #expect(BCacheError.fillFailed(key: "k", cause: store).cause is StoreError)
    }
}
