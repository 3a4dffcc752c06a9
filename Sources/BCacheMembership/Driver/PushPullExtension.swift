import BCacheTransport

extension Membership {
    /// The facade's own state exchange, run on every push-pull stream after the member lists.
    ///
    /// A push-pull is a stream one node opens to another on join, periodically and to heal a
    /// partition. Once both member lists have crossed it (and been merged), the node that opened
    /// it calls ``initiate(over:)`` and the other ``respond(over:)``, each with a
    /// ``PushPullChannel`` on the same stream. The conversation is the extension's own (one frame
    /// each way, or digests then differences for anti-entropy); the initiator speaks first by
    /// convention. Every node of a cluster must install the same extension.
    ///
    /// Both calls are bounded by ``Membership/Node/Configuration/pushPullTimeout`` together with
    /// the member exchange; an error thrown (or the stream breaking) is logged and counted, and
    /// does not undo the member exchange. For a single blob each way, use ``StateExchange``.
    public protocol PushPullExtension: Sendable {
        /// On the node that opened the push-pull.
        func initiate(over channel: PushPullChannel) async throws
        /// On the node that accepted it.
        func respond(over channel: PushPullChannel) async throws
        /// On the node that accepted it, once the opener's request was read and before its member
        /// list is merged (so before the membership events that merge causes). Synchronous and
        /// cheap. Defaults to nothing.
        func accepting(_ context: PushPullContext)
    }

    /// A ``PushPullExtension`` that swaps one blob each way: each side sends ``localState`` and
    /// hands the other's to ``merge``.
    ///
    /// # Usage
    ///
    /// ```swift
    /// let exchange = Membership.StateExchange(
    ///     localState: { _ in store.digest() },
    ///     merge: { remote, context in store.reconcile(with: remote, from: context.peer) })
    /// ```
    public struct StateExchange: PushPullExtension {
        /// This node's state for the peer (at most the transport's maximum frame size).
        public var localState: @Sendable (PushPullContext) async -> [UInt8]
        /// The peer's state.
        public var merge: @Sendable ([UInt8], PushPullContext) async -> Void

        /// An exchange sending `localState` and handing the peer's state to `merge`.
        public init(
            localState: @escaping @Sendable (PushPullContext) async -> [UInt8],
            merge: @escaping @Sendable ([UInt8], PushPullContext) async -> Void
        ) {
            self.localState = localState
            self.merge = merge
        }

        /// Sends this node's state, then merges the peer's.
        public func initiate(over channel: PushPullChannel) async throws {
            try await channel.send(localState(channel.context))
            let remote = try await channel.receiveRequired()
            await merge(remote, channel.context)
        }

        /// Receives the peer's state, sends this node's, then merges the peer's.
        public func respond(over channel: PushPullChannel) async throws {
            let remote = try await channel.receiveRequired()
            try await channel.send(localState(channel.context))
            await merge(remote, channel.context)
        }
    }

    /// What a push-pull is about, for a ``PushPullExtension``.
    public struct PushPullContext: Hashable, Sendable {
        /// The other node's address (as asked for by the opener; as seen by the acceptor).
        public var peer: NodeAddress
        /// Whether the opener is joining the cluster (it knows nothing yet).
        public var isJoin: Bool
        /// Whether this node opened the push-pull.
        public var isInitiator: Bool
        /// On the node that accepted a join: the joiner, as its request named itself (a joiner
        /// knows no other member). Nil otherwise: the peer's address on a stream is an ephemeral
        /// port, not a member's.
        public var joiner: NodeIdentity?

        /// The context of a push-pull with `peer`.
        public init(peer: NodeAddress, isJoin: Bool, isInitiator: Bool, joiner: NodeIdentity? = nil) {
            self.peer = peer
            self.isJoin = isJoin
            self.isInitiator = isInitiator
            self.joiner = joiner
        }
    }

    /// The push-pull stream, handed to a ``PushPullExtension`` once the member lists crossed it.
    ///
    /// Meant for the one task running the extension; frames are whole and in order.
    public final class PushPullChannel {
        /// The peer, and whether this side opened the stream.
        public let context: PushPullContext
        /// The largest frame ``send(_:)`` accepts.
        public let maxFrameSize: Int
        private let stream: any TransportStream
        private var frames: AsyncThrowingStream<[UInt8], any Error>.Iterator

        init(
            stream: any TransportStream, frames: AsyncThrowingStream<[UInt8], any Error>.Iterator,
            context: PushPullContext, maxFrameSize: Int
        ) {
            self.stream = stream
            self.frames = frames
            self.context = context
            self.maxFrameSize = maxFrameSize
        }

        /// Sends one frame to the peer.
        ///
        /// - Throws: ``BCacheTransport/TransportError`` when the frame is too large or the stream broke.
        public func send(_ frame: [UInt8]) async throws {
            try await stream.send(frame: frame)
        }

        /// The peer's next frame, nil when it closed its side.
        ///
        /// - Throws: when the stream broke.
        public func receive() async throws -> [UInt8]? {
            try await frames.next()
        }

        /// The peer's next frame.
        ///
        /// - Throws: ``BCacheTransport/TransportError`` with code `closed` when the peer closed
        ///   its side first, or the stream's error.
        public func receiveRequired() async throws -> [UInt8] {
            guard let frame = try await receive() else {
                throw TransportError(.closed, "the peer \(context.peer) closed the push-pull stream early")
            }
            return frame
        }
    }
}

extension Membership.PushPullExtension {
    /// Does nothing: most extensions need only the conversation.
    public func accepting(_ context: Membership.PushPullContext) {}
}
