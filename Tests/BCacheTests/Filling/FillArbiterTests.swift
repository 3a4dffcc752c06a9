import BCacheTransport
import Testing

@testable import BCache

/// The owner's bookkeeping, driven bare.
@Suite struct FillArbiterTests {
    let peer = NodeAddress(host: "10.0.0.2", port: 7946)
    let other = NodeAddress(host: "10.0.0.3", port: 7946)

    @Test func theFirstAskerFillsAndTheOthersWaitForItsReport() {
        var arbiter = FillArbiter(lease: .seconds(2))
        #expect(arbiter.onRequest(key: "k", from: .remote(peer, 1), now: .zero) == .fillYourself)
        #expect(arbiter.onRequest(key: "k", from: .local(5), now: .milliseconds(10)) == .wait)
        #expect(arbiter.onRequest(key: "k", from: .remote(other, 9), now: .milliseconds(20)) == .wait)
        // Another key is independent.
        #expect(arbiter.onRequest(key: "j", from: .remote(other, 10), now: .milliseconds(20)) == .fillYourself)
        let waiters = arbiter.onReport(key: "k", from: .remote(peer, 1))
        #expect(waiters == [.local(5), .remote(other, 9)])
        #expect(arbiter.flightCount == 1)
        // Over: the next miss fills again (nothing is cached here, errors included).
        #expect(arbiter.onRequest(key: "k", from: .local(6), now: .seconds(1)) == .fillYourself)
    }

    @Test func aReportFromAnotherAskerIsIgnored() {
        var arbiter = FillArbiter(lease: .seconds(2))
        #expect(arbiter.onRequest(key: "k", from: .remote(peer, 1), now: .zero) == .fillYourself)
        #expect(arbiter.onRequest(key: "k", from: .remote(other, 2), now: .zero) == .wait)
        #expect(arbiter.onReport(key: "k", from: .remote(other, 2)) == nil)
        #expect(arbiter.onReport(key: "k", from: .remote(peer, 2)) == nil)
        #expect(arbiter.onReport(key: "nope", from: .remote(peer, 1)) == nil)
        #expect(arbiter.onReport(key: "k", from: .remote(peer, 1)) == [.remote(other, 2)])
    }

    @Test func aFillNotReportedWithinTheLeaseGoesToTheNextAskerWithItsWaiters() {
        var arbiter = FillArbiter(lease: .seconds(2))
        #expect(arbiter.onRequest(key: "k", from: .remote(peer, 1), now: .zero) == .fillYourself)
        #expect(arbiter.onRequest(key: "k", from: .local(1), now: .seconds(1)) == .wait)
        #expect(arbiter.onRequest(key: "k", from: .remote(other, 4), now: .seconds(2)) == .fillYourself)
        // The crashed filler's late report changes nothing; the new one answers the waiter.
        #expect(arbiter.onReport(key: "k", from: .remote(peer, 1)) == nil)
        #expect(arbiter.onReport(key: "k", from: .remote(other, 4)) == [.local(1)])
    }

    @Test func waitersPerKeyAreBounded() {
        var arbiter = FillArbiter(lease: .seconds(2))
        #expect(arbiter.onRequest(key: "k", from: .local(0), now: .zero) == .fillYourself)
        for id in 1...UInt64(FillArbiter.maxWaitersPerKey) {
            #expect(arbiter.onRequest(key: "k", from: .remote(peer, id), now: .zero) == .wait)
        }
        #expect(arbiter.onRequest(key: "k", from: .remote(peer, 0), now: .zero) == .fillYourself)
        #expect(arbiter.onReport(key: "k", from: .local(0))?.count == FillArbiter.maxWaitersPerKey)
    }
}
