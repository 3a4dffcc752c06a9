import BCacheTransport
import BCacheTransportTCP
import BCacheTransportTestKit
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// Faults of the sockets under a running TCP transport, on 127.0.0.1: its listener closed under
/// it, an `accept` failing for want of descriptors (EMFILE), a peer resetting a connection
/// mid-frame, a peer that stops reading. The transport keeps serving: it listens again, accepts
/// again after a pause, drops the broken connection, times the stalled one out.
@Suite struct TCPSocketFaultTests {
    @Test func aListenerClosedUnderTheTransportListensAgainOnTheSamePort() async throws {
        let a = try await Loopback.tcp()
        let b = try await Loopback.tcp()
        let received = PacketCollector(b)
        await b.closeListenerAsAFault()
        try await eventually("b listens again") { b.statistics.socketsReopened == 1 && b.isListening }
        // New connections reach it on the same port: a packet connection, then a stream.
        try await a.send([1], to: b.localAddress)
        #expect(await received.waitFor(count: 1).map(\.bytes) == [[1]])
        let outgoing = try await a.openStream(to: b.localAddress)
        let incoming = try await Loopback.acceptStream(on: b)
        try await outgoing.send(frame: [2, 3])
        #expect(try await Loopback.frames(1, from: incoming) == [[2, 3]])
        await outgoing.close()
        await a.close()
        await b.close()
        #expect(!b.isListening)
    }

    @Test func closingTheTransportWhileItListensAgainLeavesNoListener() async throws {
        let b = try await Loopback.tcp()
        let port = b.localAddress.port
        await b.closeListenerAsAFault()
        await b.close()
        #expect(!b.isListening)
        // The port is free: nothing re-bound it behind the closed transport.
        let again = try await Loopback.tcp(configure: { $0.port = port })
        #expect(again.localAddress.port == port)
        await again.close()
    }

    /// An `accept` failing with EMFILE (the process out of descriptors) is counted, the listener
    /// pauses accepting (NIO's backoff: a second) and then accepts again. The error is injected
    /// into the real listener's pipeline: really running the test process out of descriptors
    /// crashed it in 4 runs of 6 (libdispatch's worker monitor traps when it cannot open
    /// `/proc/<tid>/stat`; Docs/RELIABILITY.md).
    @Test func anAcceptFailingForWantOfDescriptorsIsCountedAndTheListenerAcceptsAgain() async throws {
        let a = try await Loopback.tcp()
        let b = try await Loopback.tcp()
        let received = PacketCollector(b)
        b.failAcceptAsAFault(IOError(errnoCode: EMFILE, reason: "accept"))
        try await eventually("the failed accept counted") { b.statistics.acceptFailures == 1 }
        #expect(b.isListening)
        #expect(b.statistics.socketsReopened == 0, "the listener was kept, not bound again")
        // New connections are accepted again (after the pause, when one runs).
        try await a.send([1], to: b.localAddress)
        #expect(await received.waitFor(count: 1).map(\.bytes) == [[1]])
        await a.close()
        await b.close()
    }

    @Test func aPeerResettingAStreamMidFrameBreaksOnlyThatStream() async throws {
        let b = try await Loopback.tcp()
        let received = PacketCollector(b)
        let raw = try await RawTCPClient.connect(to: b.localAddress)
        try await raw.write(RawTCPClient.hello(kind: 2, port: 7946))
        let incoming = try await Loopback.acceptStream(on: b)
        try await raw.write(RawTCPClient.frame([5, 5]) + RawTCPClient.lengthPrefix(100) + [1, 2, 3])
        // SO_LINGER with a zero timeout: close() sends a reset instead of a FIN.
        let options = try #require(raw.channel as? any SocketOptionProvider)
        try await options.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        await raw.close()
        var frames: [[UInt8]] = []
        await #expect(throws: TransportError.self) {
            for try await frame in incoming.inboundFrames { frames.append(frame) }
        }
        #expect(frames == [[5, 5]])
        let a = try await Loopback.tcp()
        try await a.send([0xAB], to: b.localAddress)
        #expect(await received.waitFor(count: 1).map(\.bytes) == [[0xAB]])
        await a.close()
        await b.close()
    }

    @Test func aStreamWhosePeerStopsReadingTimesOut() async throws {
        let a = try await Loopback.tcp(configure: { $0.idleTimeout = .seconds(1) })
        let b = try await Loopback.tcp()
        let outgoing = try await a.openStream(to: b.localAddress)
        let incoming = try await Loopback.acceptStream(on: b)
        // b never reads `incoming`: the buffers fill, send suspends, and once nothing has moved
        // for a's idle timeout, a closes the connection and the suspended send throws.
        let frame = [UInt8](repeating: 7, count: 64 << 10)
        let failed = try await withTimeLimit("the stalled send failing", .seconds(60)) { () -> Bool in
            do {
                while true { try await outgoing.send(frame: frame) }
            } catch {
                return true
            }
        }
        #expect(failed)
        _ = incoming
        // The transport carries on: a new stream works.
        let again = try await a.openStream(to: b.localAddress)
        let accepted = try await Loopback.acceptStream(on: b)
        try await again.send(frame: [9])
        #expect(try await Loopback.frames(1, from: accepted) == [[9]])
        await again.close()
        await a.close()
        await b.close()
    }
}
