import BCacheBase
import BCacheMembership
import BCacheMembershipSimulation
import BCacheTransport
import Testing

/// A suspicion travels with its age, so that every member times it from its first accuser and
/// all of them reach the deadline together: on the wire (a message of its own that earlier
/// versions skip), in the instance (timers backdated, the age capped) and in a cluster.
@Suite struct SuspicionAgeTests {
    private let somewhere = NodeAddress(host: "somewhere.sim", port: 1)
    private let alice = WireFormatTests.alice
    private let bob = WireFormatTests.bob

    /// An empty packet's envelope without its message count, for hand-built packets.
    private var header: [UInt8] {
        Array(Membership.Wire.encode(Membership.Packet([]), label: "").dropLast())
    }

    private func littleEndian(_ id: NodeID) -> [UInt8] {
        withUnsafeBytes(of: id.rawValue.littleEndian, Array.init)
    }

    /// A `suspect` message as every version writes it: alice suspected by bob at incarnation 3.
    private var plainSuspect: [UInt8] {
        [5, 17] + littleEndian(alice.id) + [3] + littleEndian(bob.id)
    }

    private func code(_ bytes: [UInt8]) -> Membership.WireError.Code? {
        do {
            _ = try Membership.Wire.decode(bytes, label: "")
            return nil
        } catch {
            return error.code
        }
    }

    // MARK: Wire

    @Test func aSuspectIsFollowedByItsAgeInAMessageOfItsOwn() throws {
        let message = Membership.Message.suspect(
            target: alice.id, incarnation: 3, from: bob.id, age: .milliseconds(1_500), confirmations: 2)
        let bytes = Membership.Wire.encode(Membership.Packet([message]), label: "")
        // Two wire messages: the suspect with its usual body, then type 10 with u32le 1500 and 2.
        #expect(bytes == header + [2] + plainSuspect + [10, 5, 0xDC, 0x05, 0, 0, 2])
        #expect(try Membership.Wire.decode(bytes, label: "").messages == [message])
    }

    @Test func aSuspectOfAnEarlierVersionHasNoAge() throws {
        let packet = try Membership.Wire.decode(header + [1] + plainSuspect, label: "")
        #expect(
            packet.messages == [.suspect(target: alice.id, incarnation: 3, from: bob.id, age: .zero, confirmations: 0)])
    }

    @Test func aSuspicionAgeAnywhereButRightAfterASuspectIsMalformed() {
        let age: [UInt8] = [10, 5, 1, 0, 0, 0, 0]
        let ack: [UInt8] = [2, 1, 9]
        let unknown: [UInt8] = [200, 1, 0]
        #expect(code(header + [1] + age) == .malformed)
        #expect(code(header + [2] + ack + age) == .malformed)
        #expect(code(header + [3] + plainSuspect + unknown + age) == .malformed)
        #expect(code(header + [3] + plainSuspect + age + age) == .malformed)
        // Right after its suspect, it is read.
        #expect(code(header + [2] + plainSuspect + age) == nil)
    }

    @Test func aSuspicionAgeOfAnotherLengthIsRejected() {
        #expect(code(header + [2] + plainSuspect + [10, 4, 1, 0, 0, 0]) != nil)
        #expect(code(header + [2] + plainSuspect + [10, 6, 1, 0, 0, 0, 0, 0]) == .malformed)
    }

    @Test func anAgeIsSentInWholeMillisecondsWithinTheWiresRange() throws {
        func roundTrip(_ age: Duration) throws -> Duration? {
            let message = Membership.Message.suspect(target: alice.id, incarnation: 0, from: bob.id, age: age)
            let bytes = Membership.Wire.encode(Membership.Packet([message]), label: "")
            guard case .suspect(_, _, _, let decoded, _) = try Membership.Wire.decode(bytes, label: "").messages.first
            else { return nil }
            return decoded
        }
        #expect(try roundTrip(.seconds(5_000_000)) == .milliseconds(Int64(UInt32.max)))
        #expect(try roundTrip(.seconds(-3)) == .zero)
        #expect(try roundTrip(.microseconds(1_500_900)) == .milliseconds(1_500))
    }

    // MARK: Instance

    /// 11 members (this node and 10 peers): Lifeguard's minimum and maximum timeouts.
    private let minimum = Duration.seconds(4 * 1.041_392_685_158_225)
    private var maximum: Duration { minimum * 6 }
    private let lead = Membership.Settings.lan.probeTimeout

    @Test func aSuspicionHeardLateIsTimedFromItsStart() throws {
        let peers = BareInstance.peers(10)
        var fresh = BareInstance.make(peers: peers)
        var aged = BareInstance.make(peers: peers)
        let target = peers[0].id
        let heardFresh = fresh.onMessage(
            .suspect(target: target, incarnation: 0, from: peers[1].id), from: somewhere, now: .seconds(5))
        let heardAged = aged.onMessage(
            .suspect(target: target, incarnation: 0, from: peers[1].id, age: .seconds(3)), from: somewhere,
            now: .seconds(5))
        #expect(BareInstance.isClose(try #require(heardFresh.suspicionTimer(for: target)), maximum - lead))
        #expect(BareInstance.isClose(try #require(heardAged.suspicionTimer(for: target)), maximum - lead - .seconds(3)))
    }

    /// An instance of 11 members that heard at time zero that peer 2 suspects peer 1.
    private func suspicionHeardAtZero() -> (instance: Membership.Instance, peers: [Membership.NodeIdentity]) {
        let peers = BareInstance.peers(10)
        var instance = BareInstance.make(peers: peers)
        _ = instance.onMessage(
            .suspect(target: peers[0].id, incarnation: 0, from: peers[1].id), from: somewhere, now: .zero)
        return (instance, peers)
    }

    @Test func anOlderStartMovesASuspicionBackAndAYoungerOneDoesNot() throws {
        var (instance, peers) = suspicionHeardAtZero()
        let target = peers[0].id
        // The same accuser (no confirmation) with a suspicion younger than this node's: nothing.
        let younger = instance.onMessage(
            .suspect(target: target, incarnation: 0, from: peers[1].id, age: .milliseconds(500)),
            from: somewhere, now: .seconds(2))
        #expect(younger.suspicionTimer(for: target) == nil)
        // An older one: the start moves to -2 s, and the timer with it.
        let older = instance.onMessage(
            .suspect(target: target, incarnation: 0, from: peers[1].id, age: .seconds(4)), from: somewhere,
            now: .seconds(2))
        #expect(BareInstance.isClose(try #require(older.suspicionTimer(for: target)), maximum - lead - .seconds(4)))
        // Confirmations still shorten it from the moved start: one gives the formula's value...
        let once = instance.onMessage(
            .suspect(target: target, incarnation: 0, from: peers[2].id), from: somewhere, now: .seconds(2))
        let shrunk = maximum - (maximum - minimum) * (0.693_147_180_559_945 / 1.098_612_288_668_11)
        #expect(BareInstance.isClose(try #require(once.suspicionTimer(for: target)), shrunk - lead - .seconds(4)))
        // ...and two the minimum, which from -2 s has passed (4.2 s): the last-chance ping is due now.
        let twice = instance.onMessage(
            .suspect(target: target, incarnation: 0, from: peers[3].id), from: somewhere, now: .seconds(2))
        #expect(twice.suspicionTimer(for: target) == .zero)
    }

    @Test func anAgeBeyondTheMinimumTimeoutCountsAsTheMinimum() throws {
        let peers = BareInstance.peers(10)
        var instance = BareInstance.make(peers: peers)
        let target = peers[0].id
        let heard = instance.onMessage(
            .suspect(target: target, incarnation: 0, from: peers[1].id, age: .seconds(3_600)), from: somewhere,
            now: .seconds(100))
        // Without confirmations the suspect still has the maximum less the minimum to refute.
        #expect(BareInstance.isClose(try #require(heard.suspicionTimer(for: target)), maximum - minimum - lead))
        #expect(instance.member(id: target)?.status.isSuspect == true)
    }

    @Test func aPassedOnSuspicionCarriesItsAgeFromItsFirstAccuser() {
        let peers = BareInstance.peers(10)
        var instance = BareInstance.make(peers: peers)
        let target = peers[0].id
        _ = instance.onMessage(
            .suspect(target: target, incarnation: 0, from: peers[1].id, age: .seconds(3)), from: somewhere,
            now: .seconds(10))
        let gossip = instance.onGossipTick(now: .milliseconds(10_200))
        #expect(
            gossip.sentMessages.contains(
                .suspect(target: target, incarnation: 0, from: peers[1].id, age: .milliseconds(3_200))))
        #expect(!gossip.sentMessages.contains { if case .suspect(_, _, _, .zero, _) = $0 { true } else { false } })
    }

    @Test func aReportedCountOfConfirmationsShortensTheTimeoutAndIsPassedOn() throws {
        var (instance, peers) = suspicionHeardAtZero()
        let target = peers[0].id
        // The same accuser, from a member that counted two confirmations (the expected number):
        // the minimum timeout, though this member heard of no other accuser.
        let told = instance.onMessage(
            .suspect(target: target, incarnation: 0, from: peers[1].id, confirmations: 2), from: somewhere,
            now: .seconds(1))
        #expect(BareInstance.isClose(try #require(told.suspicionTimer(for: target)), minimum - lead - .seconds(1)))
        // News: it is passed on with the count.
        let gossip = instance.onGossipTick(now: .seconds(1))
        #expect(
            gossip.sentMessages.contains {
                if case .suspect(target, 0, _, _, 2) = $0 { true } else { false }
            })
        // A count beyond the expected one changes nothing more.
        let more = instance.onMessage(
            .suspect(target: target, incarnation: 0, from: peers[1].id, confirmations: 200), from: somewhere,
            now: .seconds(1))
        #expect(more.suspicionTimer(for: target) == nil)
        // The member's accusers are those heard, not the count reported.
        if case .suspect(_, let suspectedBy) = instance.member(id: target)?.status {
            #expect(suspectedBy == [peers[1].id])
        } else {
            Issue.record("the target should be suspect")
        }
    }

    // MARK: Cluster

    /// Before the age, each member timed a suspicion from when it heard of it, so the last one
    /// declared a crash a gossip spread after the first (0.45 s at 256 nodes, 0.6 s at 1,000).
    @Test func everyMemberDeclaresACrashWithinAGossipIntervalOfTheFirst() throws {
        let cluster = SimulatedCluster.joined(count: 128, seed: 4_128)
        #expect(cluster.run(untilTrue: cluster.hasConverged, timeout: .seconds(60)) != nil)
        cluster.run(for: .seconds(10))
        for victim in [17, 90] {
            let id = cluster.nodes[victim].instance.identity.id
            let crashedAt = cluster.now
            let detected = cluster.crashAndRunUntilDeclaredDead(victim, timeout: .seconds(60))
            #expect(detected != nil, "every member should declare the crashed node failed")
            let times = cluster.failures(of: id).filter { $0.time >= crashedAt }.map(\.time)
            let spread = try #require(times.max()) - (try #require(times.min()))
            #expect(spread <= Membership.Settings.lan.gossipInterval, "first to last declaration: \(spread)")
            cluster.run(for: .seconds(5))
        }
        #expect(cluster.falsePositives().isEmpty)
    }
}
