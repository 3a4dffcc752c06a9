import BCacheTransport
import BCacheTransportTCP
import BCacheTransportUDP
import BCacheTransportUDPTCP
import NIOCore
import NIOPosix
import Testing

/// Where the NIO transports run: on the event loop group their configuration names, and a task
/// preferring a transport's packet executor runs on the loop that reads its socket.
@Suite struct EventLoopPlacementTests {
    @Test func aTaskPreferringTheUDPPacketExecutorRunsOnTheConfiguredLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let transport = try await Loopback.udp { $0.eventLoopGroup = group }
        let executor = try #require(transport.packetExecutor)
        let onLoop = await Task(executorPreference: executor) { loop.inEventLoop }.value
        let elsewhere = await Task { loop.inEventLoop }.value
        #expect(onLoop)
        #expect(!elsewhere)
        await transport.close()
        try await group.shutdownGracefully()
    }

    @Test func packetsReadOnTheLoopReachAConsumerRunningThere() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let receiver = try await Loopback.udp { $0.eventLoopGroup = group }
        let sender = try await Loopback.udp()
        let consumer = Task(executorPreference: receiver.packetExecutor) { () -> ([UInt8]?, Bool) in
            for await packet in receiver.incomingPackets { return (packet.bytes, loop.inEventLoop) }
            return (nil, false)
        }
        try await sender.send([4, 2], to: receiver.localAddress)
        let (bytes, consumedOnLoop) = await consumer.value
        #expect(bytes == [4, 2])
        #expect(consumedOnLoop)
        await sender.close()
        await receiver.close()
        try await group.shutdownGracefully()
    }

    @Test func theUDPAndTCPPairRunsBothHalvesOnTheGroupItIsGiven() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        var configuration = UDPTCPTransport.Configuration(host: Loopback.ipv4, port: 0)
        configuration.eventLoopGroup = group
        #expect(configuration.udp.eventLoopGroup === group && configuration.tcp.eventLoopGroup === group)
        let transport = try await UDPTCPTransport.bind(configuration: configuration, logger: Loopback.logger)
        let executor = try #require(transport.packetExecutor)
        #expect(await Task(executorPreference: executor) { loop.inEventLoop }.value)
        await transport.close()
        try await group.shutdownGracefully()
    }
}
