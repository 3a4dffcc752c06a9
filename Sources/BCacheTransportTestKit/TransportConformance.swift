import BCacheTransport

/// The behaviour every ``Transport`` must have, written once and run against each one.
///
/// Each ``Case`` makes the transports it needs with `makeTransport` (each call must bind a new
/// transport on a fresh address, for sockets `127.0.0.1` port 0), checks one behaviour, and
/// closes them. A case throws ``TransportConformanceFailure`` saying what went wrong; waiting
/// is bounded by ``Options/timeout`` and polls conditions, never sleeping a fixed time.
///
/// The kit does not depend on a test framework: a thrown failure fails a Swift Testing `@Test`
/// (or an XCTest) with its description.
///
/// # Usage
///
/// ```swift
/// import BCacheTransport
/// import BCacheTransportTestKit
/// import Testing
///
/// @Suite struct InMemoryConformanceTests {
///     @Test(arguments: TransportConformance.Case.allCases)
///     func conforms(_ testCase: TransportConformance.Case) async throws {
///         let network = InMemoryNetwork(seed: 1)
///         let conformance = TransportConformance {
///             try network.makeTransport(address: NodeAddress(host: "127.0.0.1", port: 0))
///         }
///         try await conformance.run(testCase)
///     }
/// }
/// ```
///
/// For UDP, pass `options: .init(reliablePackets: false)` (and `supportsStreams: false` when the
/// transport has no streams).
public struct TransportConformance: Sendable {
    /// What the transport under test promises, and how long to wait.
    public struct Options: Sendable {
        /// Whether packets always arrive (in-memory with perfect links). When false (UDP),
        /// cases resend missing packets and ``concurrentSendersAllArrive`` accepts losing up to
        /// ``tolerableLossRate`` of its packets, which a kernel may drop under a burst.
        public var reliablePackets: Bool
        /// Whether the transport offers streams. When false, the stream cases check that
        /// `openStream` throws ``TransportError/Code/unsupported``.
        public var supportsStreams: Bool
        /// The fraction of a burst of packets that may be lost when packets are unreliable.
        public var tolerableLossRate: Double
        /// The size of the large frame sent by ``Case/largeFramesArriveWhole`` (capped by the
        /// transport's maximum frame size).
        public var largeFrameSize: Int
        /// The longest any one wait lasts before the case fails.
        public var timeout: Duration

        /// Options with the given expectations; the defaults describe a reliable transport with
        /// streams.
        public init(
            reliablePackets: Bool = true,
            supportsStreams: Bool = true,
            tolerableLossRate: Double = 0.05,
            largeFrameSize: Int = 4 << 20,
            timeout: Duration = .seconds(10)
        ) {
            self.reliablePackets = reliablePackets
            self.supportsStreams = supportsStreams
            self.tolerableLossRate = tolerableLossRate
            self.largeFrameSize = largeFrameSize
            self.timeout = timeout
        }
    }

    /// One behaviour to check.
    public enum Case: String, CaseIterable, Sendable, CustomStringConvertible {
        /// Random packets of several sizes, up to exactly `maxPacketSize`, arrive unchanged and
        /// name their sender.
        case packetsArriveIntact
        /// A packet one byte over `maxPacketSize` is refused with `.packetTooLarge`, and the
        /// transport keeps working.
        case oversizedPacketIsRefused
        /// `sendImmediately` sends nothing when `sendsImmediately` is false; otherwise it
        /// declines an oversized packet, takes small ones on an idle transport, and what it
        /// takes arrives (a declined packet is sent with `send`), naming its sender.
        case immediateSendsArriveOrAreDeclined
        /// Frames on a stream arrive whole and in order, in both directions, under backpressure.
        case streamFramesArriveInOrder
        /// Frames of several MiB arrive whole.
        case largeFramesArriveWhole
        /// A frame over `maxFrameSize` is refused with `.frameTooLarge`, and the stream keeps
        /// working.
        case oversizedFrameIsRefused
        /// Closing a transport finishes its incoming packets and streams, ends the inbound frames
        /// of the peer's stream, and makes further sends fail with `.closed`.
        case closingEndsIncomingSequences
        /// A packet to an address nobody listens at is not delivered and breaks nothing; a stream
        /// to it fails with `.unreachable`.
        case sendingToAbsentListenerFailsCleanly
        /// 8 tasks sending 200 packets each at once: every packet arrives (or all but the
        /// tolerated loss, when packets are unreliable).
        case concurrentSendersAllArrive

        public var description: String { rawValue }
    }

    /// What the suite expects of the transport.
    public let options: Options
    let makeTransport: @Sendable () async throws -> any Transport

    /// A suite that makes each transport it needs with `makeTransport`.
    public init(options: Options = Options(), makeTransport: @escaping @Sendable () async throws -> any Transport) {
        self.options = options
        self.makeTransport = makeTransport
    }

    /// Checks one behaviour.
    ///
    /// - Throws: ``TransportConformanceFailure`` naming the case and what went wrong.
    public func run(_ testCase: Case) async throws {
        do {
            switch testCase {
            case .packetsArriveIntact: try await packetsArriveIntact()
            case .oversizedPacketIsRefused: try await oversizedPacketIsRefused()
            case .immediateSendsArriveOrAreDeclined: try await immediateSendsArriveOrAreDeclined()
            case .streamFramesArriveInOrder: try await streamFramesArriveInOrder()
            case .largeFramesArriveWhole: try await largeFramesArriveWhole()
            case .oversizedFrameIsRefused: try await oversizedFrameIsRefused()
            case .closingEndsIncomingSequences: try await closingEndsIncomingSequences()
            case .sendingToAbsentListenerFailsCleanly: try await sendingToAbsentListenerFailsCleanly()
            case .concurrentSendersAllArrive: try await concurrentSendersAllArrive()
            }
        } catch let failure as CheckFailure {
            throw TransportConformanceFailure(testCase: testCase, message: failure.message)
        } catch {
            throw TransportConformanceFailure(testCase: testCase, message: "unexpected error: \(error)")
        }
    }
}
