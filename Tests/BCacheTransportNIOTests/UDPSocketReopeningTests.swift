import BCacheTransport
import BCacheTransportTestKit
import BCacheTransportUDP
import Dispatch
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// A send error that makes SwiftNIO close the UDP socket does not end the transport: it binds a
/// new socket on the same port and event loop and goes on, and only `close()` ends it.
///
/// The fatal error is real: a datagram to port 0, which Linux refuses with EINVAL, and which NIO
/// treats like any `sendmsg` error but EMSGSIZE and EHOSTUNREACH (as it does EPERM from a
/// firewall rule or ENETUNREACH from a removed route): it closes the channel.
@Suite struct UDPSocketReopeningTests {
    /// A destination the kernel refuses (EINVAL), on the loopback address.
    private static let refusedDestination = NodeAddress(host: Loopback.ipv4, port: 0)

    @Test func aSendTheKernelRefusesReopensTheSocketAndPacketsFlowOnTheSameLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let a = try await Loopback.udp { $0.eventLoopGroup = group }
        let b = try await Loopback.udp()
        let atB = PacketCollector(b)
        let consumer = Task(executorPreference: a.packetExecutor) { () -> (bytes: [UInt8], onLoop: Bool)? in
            for await packet in a.incomingPackets { return (packet.bytes, loop.inEventLoop) }
            return nil
        }

        try await a.send([0], to: Self.refusedDestination)
        try await eventually("a.statistics.socketsReopened == 1") { a.statistics.socketsReopened == 1 }
        #expect(a.statistics.droppedUnreachable == 1)

        try await a.send([1], to: b.localAddress)
        let fromA = try #require(await atB.waitFor(count: 1).first)
        #expect(fromA.bytes == [1])
        #expect(fromA.sender == a.localAddress)
        try await b.send([2], to: a.localAddress)
        let received = await consumer.value
        #expect(received?.bytes == [2])
        #expect(received?.onLoop == true)
        #expect(a.statistics.packetsReceived == 1)
        await a.close()
        await b.close()
        try await group.shutdownGracefully()
    }

    @Test func whileThePortCannotBeBoundAgainSendsFailFastAndTheRebindIsRetried() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let a = try await Loopback.udp { $0.eventLoopGroup = group }
        let b = try await Loopback.udp()
        let atA = PacketCollector(a)
        let held = try await Self.loseSocketAndHoldItsPort(of: a, on: group.next())

        await #expect(throws: TransportError(.unreachable, "")) { try await a.send([1], to: b.localAddress) }
        await #expect(throws: TransportError(.unreachable, "")) { try await a.send([2], to: b.localAddress) }
        // No socket, so no immediate send either (the lost socket's second descriptor is closed:
        // the port could not have been taken otherwise).
        #expect(!a.sendImmediately([9], to: b.localAddress))
        #expect(a.statistics.droppedUnreachable == 3)
        #expect(a.statistics.socketsReopened == 0)
        #expect(!atA.finished)

        held.release()
        try await eventually("a.statistics.socketsReopened == 1") { a.statistics.socketsReopened == 1 }
        try await b.send([3], to: a.localAddress)
        #expect(await atA.waitFor(count: 1).map(\.bytes) == [[3]])
        #expect(!atA.finished)
        // Immediate sends go out on the new socket, from the same address.
        let atB = PacketCollector(b)
        #expect(a.sendImmediately([4], to: b.localAddress))
        let immediate = try #require(await atB.waitFor(count: 1).first)
        #expect(immediate.bytes == [4] && immediate.sender == a.localAddress)
        await a.close()
        await b.close()
        try await group.shutdownGracefully()
    }

    @Test func closeWhileReopeningFinishesIncomingPacketsAndLeavesThePortFree() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let a = try await Loopback.udp { $0.eventLoopGroup = group }
        let atA = PacketCollector(a)
        let held = try await Self.loseSocketAndHoldItsPort(of: a, on: group.next())

        await a.close()
        try await eventually("atA.finished") { atA.finished }
        await #expect(throws: TransportError(.closed, "")) { try await a.send([1], to: a.localAddress) }
        held.release()
        let again = try await UDPTransport.bind(
            configuration: .init(host: Loopback.ipv4, port: a.localAddress.port),
            logger: Loopback.logger
        )
        #expect(a.statistics.socketsReopened == 0)
        await again.close()
        try await group.shutdownGracefully()
    }

    @Test func closeRightAfterTheSocketIsLostLeavesThePortFree() async throws {
        let a = try await Loopback.udp()
        let atA = PacketCollector(a)
        try await a.send([0], to: Self.refusedDestination)
        await a.close()
        try await eventually("atA.finished") { atA.finished }
        // Whether the re-bind had finished or not, close() undid it before returning.
        let again = try await UDPTransport.bind(
            configuration: .init(host: Loopback.ipv4, port: a.localAddress.port),
            logger: Loopback.logger
        )
        await again.close()
    }

    @Test func anIPv6DestinationFromAnIPv4SocketIsUnreachableAndKeepsTheSocket() async throws {
        let a = try await Loopback.udp()
        let b = try await Loopback.udp()
        let atB = PacketCollector(b)
        await #expect(throws: TransportError(.unreachable, "")) {
            try await a.send([1], to: NodeAddress(host: Loopback.ipv6, port: b.localAddress.port))
        }
        try await a.send([2], to: b.localAddress)
        #expect(await atB.waitFor(count: 1).map(\.bytes) == [[2]])
        #expect(a.statistics.socketsReopened == 0)
        await a.close()
        await b.close()
    }

    /// Makes `transport`'s socket close on a refused send and takes its port the instant it is
    /// free, before the transport's re-bind (which `loop`, the transport's only loop, runs next).
    ///
    /// The loop is held while the send is queued behind the hold and the port grab behind the
    /// send, so the three run in that order.
    private static func loseSocketAndHoldItsPort(
        of transport: UDPTransport,
        on loop: any EventLoop
    ) async throws -> HeldUDPPort {
        let port = transport.localAddress.port
        let gate = DispatchSemaphore(value: 0)
        let held = Slot()
        loop.execute { gate.wait() }
        try await transport.send([0], to: refusedDestination)
        loop.execute { held.port.withLock { $0 = HeldUDPPort(port: port) } }
        gate.signal()
        try await eventually("held.port.withLock { $0 != nil }") { held.port.withLock { $0 != nil } }
        return try #require(held.port.withLock { $0 })
    }

    /// Where the event loop leaves the port it took.
    private final class Slot: Sendable {
        let port = Mutex<HeldUDPPort?>(nil)
    }
}
