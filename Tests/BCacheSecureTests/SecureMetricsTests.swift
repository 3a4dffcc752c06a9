import BCacheBase
import BCacheTransport
import BCacheTransportTestKit
import CoreMetrics
import MetricsTestKit
import Testing

@testable import BCacheSecure

/// Messages sealed, opened and refused are counted in swift-metrics, by kind and reason.
@Suite struct SecureMetricsTests {
    /// Two nodes of cluster "m" sharing one key, counting into `metrics`.
    private func pair(
        on cluster: SecureCluster, keyring: Keyring, metrics: TestMetrics
    ) throws -> (receiver: SecureTransport, sender: SecureTransport) {
        try withMetricsFactory(metrics) {
            (
                try cluster.node("10.0.0.1", keyring: keyring, label: "m"),
                try cluster.node("10.0.0.2", keyring: keyring, label: "m")
            )
        }
    }

    @Test func sealedOpenedAndRefusedPacketsAreCounted() async throws {
        let metrics = TestMetrics()
        let cluster = SecureCluster()
        let keyring = Keyring(primary: testKey(1))
        let (receiver, sender) = try pair(on: cluster, keyring: keyring, metrics: metrics)
        let intruder = try cluster.node("10.0.0.3", keyring: Keyring(primary: testKey(2)), label: "m")
        let attacker = try cluster.raw("10.0.0.4")
        let received = Sink(receiver.incomingPackets)
        try await intruder.send([1], to: receiver.localAddress)
        try await intruder.send([2], to: receiver.localAddress)
        try await attacker.send([3], to: receiver.localAddress)
        try await sender.send([4], to: receiver.localAddress)
        try await eventually("the genuine packet arrived") { received.count == 1 }

        func counter(_ label: String, _ dimensions: [(String, String)]) throws -> Int64 {
            try metrics.expectCounter(label, [("cluster", "m")] + dimensions).totalValue
        }
        #expect(try counter("bcache_secure_messages_total", [("kind", "packet"), ("outcome", "sealed")]) == 1)
        #expect(try counter("bcache_secure_messages_total", [("kind", "packet"), ("outcome", "opened")]) == 1)
        #expect(try counter("bcache_secure_rejected_total", [("kind", "packet"), ("reason", "unknownKey")]) == 2)
        #expect(try counter("bcache_secure_rejected_total", [("kind", "packet"), ("reason", "plaintextRefused")]) == 1)
        #expect(try counter("bcache_secure_rejected_total", [("kind", "packet"), ("reason", "tooOld")]) == 0)
    }

    @Test func aDeclinedImmediateSendIsNotCountedAndItsResendIsCountedOnce() async throws {
        // The in-memory transport has no immediate path: the secure wrapper seals, is declined,
        // and the caller sends the packet again. One packet, one count.
        let metrics = TestMetrics()
        let cluster = SecureCluster()
        let keyring = Keyring(primary: testKey(1))
        let (receiver, sender) = try pair(on: cluster, keyring: keyring, metrics: metrics)
        let received = Sink(receiver.incomingPackets)
        #expect(!sender.sendImmediately([7], to: receiver.localAddress))
        #expect(sender.statistics.packetsSealed == 0)
        try await sender.send([7], to: receiver.localAddress)
        try await eventually("the packet arrived") { received.count == 1 }
        #expect(sender.statistics.packetsSealed == 1)
        let sealed = try metrics.expectCounter(
            "bcache_secure_messages_total", [("cluster", "m"), ("kind", "packet"), ("outcome", "sealed")])
        #expect(sealed.totalValue == 1)
    }
}
