import BCacheBase
import BCacheTransport
import Testing

@testable import BCacheSecure

/// The cluster label is bound into every sealed message: packets of another cluster are refused
/// before any decryption, even when both clusters share a key.
@Suite struct ClusterLabelTests {
    @Test func packetsSealedForAnotherClusterWithTheSameKeyAreRefused() async throws {
        let bench = try Bench(label: "prod")
        let staging = try bench.cluster.node("10.0.0.20", keyring: Keyring(primary: testKey(7)), label: "staging")
        for _ in 0..<5 { try await staging.send([1, 2, 3], to: bench.receiver.localAddress) }
        try await bench.inject([])
        #expect(bench.receiver.statistics.rejectedPackets(.wrongCluster) == 5)
        #expect(bench.receiver.statistics.totalRejectedPackets == 5)
        #expect(bench.deliveredOnlyMarkers)
    }

    /// A label tag collision (forged here by rewriting the tag) still fails: the full label is
    /// in the associated data.
    @Test func aForgedLabelTagStillFailsAuthentication() async throws {
        let bench = try Bench(label: "prod")
        let staging = try bench.cluster.node("10.0.0.20", keyring: Keyring(primary: testKey(7)), label: "staging")
        var packet = try await capture([1, 2, 3], from: staging, via: bench.sniffer)
        let genuine = try await bench.sealed([4])
        packet.replaceSubrange(1..<5, with: genuine[1..<5])
        try await bench.inject([packet])
        #expect(bench.receiver.statistics.rejectedPackets(.authenticationFailed) == 1)
        #expect(bench.deliveredOnlyMarkers)
    }

    @Test func theDefaultEmptyLabelIsALabelToo() async throws {
        let bench = try Bench(label: "")
        let labelled = try bench.cluster.node("10.0.0.20", keyring: Keyring(primary: testKey(7)), label: "x")
        try await labelled.send([1], to: bench.receiver.localAddress)
        try await bench.inject([])
        #expect(bench.receiver.statistics.rejectedPackets(.wrongCluster) == 1)
    }
}
