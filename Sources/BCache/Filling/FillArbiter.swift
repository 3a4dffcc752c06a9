import BCacheTransport
import DequeModule

/// The owner's side of cluster-wide filling: for each key it owns, which asker fills it now and
/// who waits for the outcome. No I/O, no clock: each input returns what to answer.
///
/// Fillers are closures given to each `get` call, so the owner cannot fill a key it was not
/// asked for itself: it lets the first asker fill (itself, when its own miss came first) and
/// answers every later one with that fill's outcome. A fill not reported within the lease (the
/// filling node crashed, or its report was lost) goes to the next asker, which inherits the
/// waiters; waiters whose own bound passes first fill by themselves.
struct FillArbiter: Sendable {
    /// Who asked: a task of this node, or a request of another node.
    enum Asker: Hashable, Sendable {
        case local(UInt64)
        case remote(NodeAddress, UInt64)
    }

    enum Decision: Equatable, Sendable {
        /// The asker fills the key and reports the outcome.
        case fillYourself
        /// The asker waits for the outcome of the fill in progress.
        case wait
    }

    private struct Flight {
        var filler: Asker
        var waiters: [Asker] = []
        var leaseEnds: Duration
    }

    /// The most askers waiting for one key; later ones fill by themselves.
    static let maxWaitersPerKey = 4096
    /// The most keys with a fill in progress; beyond, expired leases are dropped, then askers
    /// fill by themselves untracked.
    static let maxFlights = 65_536

    /// How long a filler has to report before the next asker takes over.
    let lease: Duration
    private var flights: [String: Flight] = [:]
    /// Every lease granted, in the order they end (each ends `lease` after it was granted, and
    /// time only moves on), so that freeing room when full costs what it frees rather than a
    /// pass over every flight. An entry whose flight was reported, or taken over under a new
    /// lease, is stale: skipped when it comes up, and compacted away when stale entries pile up.
    private var leaseEnds = Deque<(key: String, leaseEnds: Duration)>()

    init(lease: Duration) {
        self.lease = lease
    }

    /// How many keys have a fill in progress.
    var flightCount: Int { flights.count }

    /// `asker` missed `key`: it fills, or waits for the fill in progress.
    mutating func onRequest(key: String, from asker: Asker, now: Duration) -> Decision {
        if var flight = flights[key] {
            if flight.leaseEnds > now {
                guard flight.waiters.count < Self.maxWaitersPerKey else { return .fillYourself }
                flight.waiters.append(asker)
                flights[key] = flight
                return .wait
            }
            // The filler did not report in time: this asker takes over, for the waiters too.
            flight.filler = asker
            flight.leaseEnds = now + lease
            flights[key] = flight
            grantLease(key, endingAt: flight.leaseEnds)
            return .fillYourself
        }
        if flights.count >= Self.maxFlights {
            dropFlights(leasedUntilOrBefore: now)
            guard flights.count < Self.maxFlights else { return .fillYourself }
        }
        flights[key] = Flight(filler: asker, leaseEnds: now + lease)
        grantLease(key, endingAt: now + lease)
        return .fillYourself
    }

    /// Records a lease in ``leaseEnds``; compacts the stale entries away once they outnumber
    /// the flights (a pass that the appends since the last one pay for).
    private mutating func grantLease(_ key: String, endingAt end: Duration) {
        leaseEnds.append((key, end))
        guard leaseEnds.count > 2 * Self.maxFlights else { return }
        let flights = self.flights
        leaseEnds = Deque(leaseEnds.filter { flights[$0.key]?.leaseEnds == $0.leaseEnds })
    }

    /// Drops the flights whose lease ended by `now` (their waiters' own bounds end their waits).
    private mutating func dropFlights(leasedUntilOrBefore now: Duration) {
        while let first = leaseEnds.first, first.leaseEnds <= now {
            leaseEnds.removeFirst()
            if flights[first.key]?.leaseEnds == first.leaseEnds { flights[first.key] = nil }
        }
    }

    /// Entries in the lease order, stale ones included: for tests of its bound.
    var leaseRecordCount: Int { leaseEnds.count }

    /// `filler` reports the outcome of its fill of `key`: the askers to answer with it, or nil
    /// when `filler` does not hold the key's fill (a late report, a fallback fill).
    mutating func onReport(key: String, from filler: Asker) -> [Asker]? {
        guard let flight = flights[key], flight.filler == filler else { return nil }
        flights[key] = nil
        return flight.waiters
    }
}
