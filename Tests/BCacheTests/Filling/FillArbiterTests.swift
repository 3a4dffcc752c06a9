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

    /// Full of live leases, a new key's asker fills by itself untracked; once leases end, the
    /// room they held is taken again (freed oldest first, not by a pass over every flight).
    @Test func flightsAreBoundedAndExpiredLeasesMakeRoom() {
        var arbiter = FillArbiter(lease: .seconds(2))
        var refused = 0
        for index in 0..<FillArbiter.maxFlights {
            // Half the leases granted at 0 s, half at 1 s.
            let now: Duration = index < FillArbiter.maxFlights / 2 ? .zero : .seconds(1)
            if arbiter.onRequest(key: "k\(index)", from: .local(UInt64(index)), now: now) != .fillYourself {
                refused += 1
            }
        }
        #expect(refused == 0)
        #expect(arbiter.flightCount == FillArbiter.maxFlights)
        // Full and nothing expired: filled untracked, so a second asker of that key fills too.
        #expect(arbiter.onRequest(key: "new", from: .local(1), now: .seconds(1)) == .fillYourself)
        #expect(arbiter.onRequest(key: "new", from: .local(2), now: .seconds(1)) == .fillYourself)
        #expect(arbiter.flightCount == FillArbiter.maxFlights)
        // At 2 s the first half's leases have ended: the new key is tracked, and waited for.
        #expect(arbiter.onRequest(key: "new", from: .local(3), now: .seconds(2)) == .fillYourself)
        #expect(arbiter.onRequest(key: "new", from: .local(4), now: .seconds(2)) == .wait)
        #expect(arbiter.flightCount == FillArbiter.maxFlights / 2 + 1)
        // The second half's leases are intact: their askers still wait.
        #expect(arbiter.onRequest(key: "k\(FillArbiter.maxFlights - 1)", from: .local(5), now: .seconds(2)) == .wait)
    }

    /// Reported fills leave stale lease records behind; they are compacted away, so a member
    /// asking and reporting without end does not grow the owner's memory.
    @Test func staleLeaseRecordsAreBounded() {
        var arbiter = FillArbiter(lease: .seconds(2))
        var unanswered = 0
        for index in 0..<(3 * FillArbiter.maxFlights) {
            let asker = FillArbiter.Asker.remote(peer, UInt64(index))
            _ = arbiter.onRequest(key: "k\(index)", from: asker, now: .zero)
            if arbiter.onReport(key: "k\(index)", from: asker) == nil { unanswered += 1 }
        }
        #expect(unanswered == 0)
        #expect(arbiter.flightCount == 0)
        #expect(arbiter.leaseRecordCount <= 2 * FillArbiter.maxFlights)
    }
}
