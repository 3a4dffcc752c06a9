import BCacheTransport
import BCacheTransportTestKit
import NIOCore
import NIOPosix

/// A bare TCP connection that writes whatever bytes a test gives it: how tests play a hostile or
/// broken peer against a transport's listener.
struct RawTCPClient {
    let channel: any Channel

    static func connect(to address: NodeAddress) async throws -> RawTCPClient {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: address.host, port: Int(address.port))
            .get()
        return RawTCPClient(channel: channel)
    }

    func write(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes)).get()
    }

    /// Whether the other side closed the connection within `timeout`.
    func isClosedByPeer(within timeout: Duration = .seconds(5)) async -> Bool {
        let closeFuture = channel.closeFuture
        return (try? await withTimeLimit("the peer closing the connection", timeout) { try await closeFuture.get() })
            != nil
    }

    func close() async {
        try? await channel.close()
    }

    /// A hello as the wire format defines it: `UInt32` length, "BCT", version 1, kind, port,
    /// host length, host.
    static func hello(kind: UInt8, port: UInt16, host: String = "127.0.0.1") -> [UInt8] {
        let hostBytes = Array(host.utf8)
        var payload: [UInt8] = Array("BCT".utf8) + [1, kind, UInt8(port >> 8), UInt8(port & 0xFF)]
        payload += [UInt8(hostBytes.count)] + hostBytes
        return frame(payload)
    }

    /// `payload` behind its `UInt32` big-endian length.
    static func frame(_ payload: [UInt8]) -> [UInt8] {
        lengthPrefix(UInt32(payload.count)) + payload
    }

    static func lengthPrefix(_ length: UInt32) -> [UInt8] {
        [UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
    }
}
