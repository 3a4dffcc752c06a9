import BCacheTransport
import BCacheTransportTCP
import BCacheTransportUDP
import Testing

/// Destinations named by DNS names go through the configured resolver, so tests (and service
/// discovery) can swap the system's `getaddrinfo` out.
@Suite(.timeLimit(.minutes(1))) struct NameResolutionTests {
    @Test func udpSendsToANameThroughTheConfiguredResolver() async throws {
        let receiver = try await Loopback.udp()
        let sender = try await Loopback.udp { $0.resolver = StaticResolver(["cache-b.test": ["127.0.0.1"]]) }
        try await sender.send([1, 2, 3], to: NodeAddress(host: "cache-b.test", port: receiver.localAddress.port))
        var iterator = receiver.incomingPackets.makeAsyncIterator()
        let packet = await iterator.next()
        #expect(packet?.bytes == [1, 2, 3])
        await sender.close()
        await receiver.close()
    }

    @Test func tcpOpensAStreamToANameThroughTheConfiguredResolver() async throws {
        let receiver = try await Loopback.tcp()
        let sender = try await Loopback.tcp { $0.resolver = StaticResolver(["cache-b.test": ["127.0.0.1"]]) }
        let stream = try await sender.openStream(
            to: NodeAddress(host: "cache-b.test", port: receiver.localAddress.port))
        try await stream.send(frame: [9, 8, 7])
        var streams = receiver.incomingStreams.makeAsyncIterator()
        let accepted = try #require(await streams.next())
        var frames = accepted.inboundFrames.makeAsyncIterator()
        #expect(try await frames.next() == [9, 8, 7])
        await stream.close()
        await sender.close()
        await receiver.close()
    }

    @Test func aNameTheResolverDoesNotKnowIsUnreachable() async throws {
        let sender = try await Loopback.udp { $0.resolver = StaticResolver([:]) }
        await #expect(throws: TransportError(.unreachable, "")) {
            try await sender.send([1], to: NodeAddress(host: "nowhere.test", port: 7946))
        }
        await sender.close()
    }
}
