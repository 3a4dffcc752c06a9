import BCacheNIOSupport
import BCacheTransport
import NIOCore

/// The first frame on every BCache TCP connection: what the connection is for and where its
/// opener listens.
///
/// A TCP connection's source port is ephemeral, so it cannot name the sender: a packet must be
/// attributed to the address the peer *listens* on, or a reply would go nowhere. The opener
/// therefore announces its listening address. When it listens on every interface (`0.0.0.0` or
/// `::`) it cannot know which of its addresses the receiver sees, so it sends that unspecified
/// host and the receiver puts the connection's source IP in its place.
///
/// Layout (inside the usual `UInt32` big-endian length prefix, at most ``maxEncodedSize`` bytes):
/// ```
/// "BCT"  version(1)  kind(1)  port(UInt16 BE)  hostLength(UInt8)  host(UTF-8, hostLength bytes)
/// ```
struct ConnectionHello: Hashable, Sendable {
    /// What the rest of the connection carries.
    enum Kind: UInt8, Sendable {
        /// Length-prefixed packets, one way: from the opener to the listener.
        case packets = 1
        /// One stream of length-prefixed frames, both ways.
        case stream = 2
    }

    static let magic: [UInt8] = Array("BCT".utf8)
    static let version: UInt8 = 1
    /// The largest hello payload: the fixed part (3 + 1 + 1 + 2 + 1) and a 255-byte host.
    static let maxEncodedSize = 8 + 255

    var kind: Kind
    /// The opener's listening address, as it knows it.
    var listeningAddress: NodeAddress

    /// Appends the hello, with its length prefix, to `buffer`.
    ///
    /// Hosts longer than 255 UTF-8 bytes cannot be valid DNS names or IP literals; they are cut
    /// (such a cut host is never valid, so nothing usable is lost).
    func encode(into buffer: inout ByteBuffer) {
        let host = Array(listeningAddress.host.utf8.prefix(255))
        buffer.writeInteger(UInt32(8 + host.count))
        buffer.writeBytes(Self.magic)
        buffer.writeInteger(Self.version)
        buffer.writeInteger(kind.rawValue)
        buffer.writeInteger(listeningAddress.port)
        buffer.writeInteger(UInt8(host.count))
        buffer.writeBytes(host)
    }

    /// Decodes a hello payload (without its length prefix), consuming all of it.
    ///
    /// - Throws: ``FrameDecodingError`` when any field is wrong (a host that is not valid UTF-8
    ///   included) or bytes are left over.
    init(decoding payload: ByteBuffer) throws(FrameDecodingError) {
        var payload = payload
        guard let magic = payload.readBytes(length: 3), magic == Self.magic else {
            throw FrameDecodingError(.malformed, "the connection does not start with a BCache hello")
        }
        guard let version = payload.readInteger(as: UInt8.self), version == Self.version else {
            throw FrameDecodingError(.malformed, "unsupported hello version")
        }
        guard let kindByte = payload.readInteger(as: UInt8.self), let kind = Kind(rawValue: kindByte) else {
            throw FrameDecodingError(.malformed, "unknown connection kind in the hello")
        }
        guard let port = payload.readInteger(as: UInt16.self),
            let hostLength = payload.readInteger(as: UInt8.self),
            let hostBytes = payload.readBytes(length: Int(hostLength)),
            payload.readableBytes == 0
        else {
            throw FrameDecodingError(.malformed, "truncated or overlong hello")
        }
        // Validated, not repaired: `String(decoding:)` would turn each bad byte into U+FFFD (3
        // bytes), so the peer's announced host and ours would differ, and a 255-byte host could
        // grow past what a hello holds. A peer sends what it listens on, which is valid UTF-8.
        guard let host = String(validating: hostBytes, as: UTF8.self) else {
            throw FrameDecodingError(.malformed, "the host in the hello is not valid UTF-8")
        }
        self.kind = kind
        self.listeningAddress = NodeAddress(host: host, port: port)
    }

    init(kind: Kind, listeningAddress: NodeAddress) {
        self.kind = kind
        self.listeningAddress = listeningAddress
    }

    /// The address to attribute the connection's packets and stream to: the announced one, with
    /// the connection's source IP in place of an unspecified (or empty) host.
    func senderAddress(connectionSource: SocketAddress?) -> NodeAddress {
        let host = listeningAddress.host
        let unspecified = host.isEmpty || host == "0.0.0.0" || host == "::"
        guard unspecified, let sourceIP = connectionSource?.ipAddress else { return listeningAddress }
        return NodeAddress(host: sourceIP, port: listeningAddress.port)
    }
}
