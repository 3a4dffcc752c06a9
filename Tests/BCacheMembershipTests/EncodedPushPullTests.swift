import BCacheBase
import BCacheMembership
import BCacheTransport
import Testing

/// The instance's push-pull in bytes: the cached encoding is always the encoding of the current
/// list, and merging bytes does what merging the decoded state does, including skipping a copy
/// of the receiver's own list.
@Suite struct EncodedPushPullTests {
    private static let sender = NodeAddress(host: "peer-1.sim", port: 7946)

    private static func expectEncodingIsCurrent(
        _ instance: inout Membership.Instance, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for isJoin in [false, true] {
            let expected = Membership.Wire.encode(instance.pushPullState(isJoin: isJoin), label: instance.clusterLabel)
            #expect(instance.encodedPushPullState(isJoin: isJoin) == expected, sourceLocation: sourceLocation)
        }
    }

    @Test func theCachedEncodingFollowsEveryChange() {
        let peers = BareInstance.peers(4)
        var instance = BareInstance.make(peers: Array(peers.prefix(3)))
        Self.expectEncodingIsCurrent(&instance)
        // A new member, a suspicion, a death, new metadata, a refutation: each changes the list.
        _ = instance.onMessage(.alive(identity: peers[3], incarnation: 0), from: Self.sender, now: .seconds(1))
        Self.expectEncodingIsCurrent(&instance)
        _ = instance.onMessage(
            .suspect(target: peers[0].id, incarnation: 0, from: peers[1].id), from: Self.sender, now: .seconds(2))
        Self.expectEncodingIsCurrent(&instance)
        _ = instance.onMessage(
            .dead(target: peers[1].id, incarnation: 0, from: peers[2].id), from: Self.sender, now: .seconds(3))
        Self.expectEncodingIsCurrent(&instance)
        instance.updateMetadata([9, 9])
        Self.expectEncodingIsCurrent(&instance)
        _ = instance.onMessage(
            .suspect(target: instance.identity.id, incarnation: instance.incarnation, from: peers[2].id),
            from: Self.sender, now: .seconds(4))
        Self.expectEncodingIsCurrent(&instance)
    }

    @Test func aCopyOfTheOwnListChangesNothing() throws {
        let peers = BareInstance.peers(5)
        var instance = BareInstance.make(peers: peers)
        var twin = instance
        let own = instance.encodedPushPullState()
        let (response, directives) = try instance.onPushPullRequest(encoded: own, from: Self.sender, now: .seconds(1))
        let (twinResponse, twinDirectives) = twin.onPushPullRequest(
            try Membership.Wire.decodePushPull(own, label: "test"), from: Self.sender, now: .seconds(1))
        #expect(directives.isEmpty)
        #expect(directives == twinDirectives)
        #expect(response == Membership.Wire.encode(twinResponse, label: "test"))
        #expect(instance.members == twin.members)
    }

    @Test func bytesMergeAsTheDecodedStateDoes() throws {
        let peers = BareInstance.peers(6)
        // The remote knows two more members, one at a later incarnation, and one member dead.
        let remote = Membership.PushPullState(
            members: [
                Membership.Member(identity: peers[0], status: .alive(incarnation: 2)),
                Membership.Member(identity: peers[1], status: .dead(incarnation: 0)),
                Membership.Member(identity: peers[2], status: .suspect(incarnation: 0, suspectedBy: [])),
                Membership.Member(identity: peers[4], status: .alive(incarnation: 0)),
                Membership.Member(identity: peers[5], status: .left(incarnation: 1)),
            ], isJoin: false)
        let bytes = Membership.Wire.encode(remote, label: "test")
        for asResponse in [false, true] {
            var instance = BareInstance.make(peers: Array(peers.prefix(4)), seed: 3)
            var twin = instance
            let directives: [Membership.Directive]
            let twinDirectives: [Membership.Directive]
            if asResponse {
                directives = try instance.onPushPullResponse(encoded: bytes, from: Self.sender, now: .seconds(1))
                twinDirectives = twin.onPushPullResponse(remote, from: Self.sender, now: .seconds(1))
            } else {
                directives = try instance.onPushPullRequest(encoded: bytes, from: Self.sender, now: .seconds(1))
                    .directives
                twinDirectives = twin.onPushPullRequest(remote, from: Self.sender, now: .seconds(1)).directives
            }
            #expect(!directives.isEmpty)
            #expect(directives == twinDirectives)
            #expect(instance.members == twin.members)
            Self.expectEncodingIsCurrent(&instance)
        }
    }

    @Test func aSuspectInTheListIsMergedEvenInACopy() throws {
        // A copy of a list naming a suspect is not a no-op: the receiver confirms the suspicion.
        let peers = BareInstance.peers(5)
        var instance = BareInstance.make(peers: peers)
        _ = instance.onMessage(
            .suspect(target: peers[0].id, incarnation: 0, from: peers[1].id), from: Self.sender, now: .seconds(1))
        var twin = instance
        let own = instance.encodedPushPullState()
        let directives = try instance.onPushPullResponse(encoded: own, from: Self.sender, now: .seconds(2))
        let twinDirectives = twin.onPushPullResponse(
            try Membership.Wire.decodePushPull(own, label: "test"), from: Self.sender, now: .seconds(2))
        #expect(directives == twinDirectives)
        #expect(instance.member(id: peers[0].id) == twin.member(id: peers[0].id))
    }

    @Test func malformedBytesAreRejectedAndChangeNothing() {
        let peers = BareInstance.peers(3)
        var instance = BareInstance.make(peers: peers)
        let own = instance.encodedPushPullState()
        let before = instance.members
        for end in [0, 5, own.count / 2, own.count - 1] {
            #expect(throws: Membership.WireError.self) {
                try instance.onPushPullResponse(encoded: Array(own[..<end]), from: Self.sender, now: .seconds(1))
            }
            #expect(throws: Membership.WireError.self) {
                try instance.onPushPullRequest(encoded: Array(own[..<end]), from: Self.sender, now: .seconds(1))
            }
        }
        #expect(throws: Membership.WireError.self) {
            try instance.onPushPullRequest(
                encoded: Membership.Wire.encode(instance.pushPullState(), label: "other"), from: Self.sender,
                now: .seconds(1))
        }
        #expect(instance.members == before)
        #expect(!instance.isJoined)
    }
}
