import Foundation

/// The figures of one `bcache bench transport` run.
struct TransportBenchReport: Encodable {
    var udpPacketsPerS: Double = 0
    var udpMbPerS: Double = 0
    var udpDeliveredRatio: Double = 0
    var tcpPacketsPerS: Double = 0
    var tcpMbPerS: Double = 0
    var tcpDeliveredRatio: Double = 0
    var tcpStreamMbPerS: Double = 0
    var udpRttP50Us: Double = 0
    var udpRttP99Us: Double = 0
    var tcpRttP50Us: Double = 0
    var tcpRttP99Us: Double = 0
    /// Nanoseconds the secure wrapper adds to sending one packet (sealing), with `--encrypted`.
    var sealNs: Double?
    /// Nanoseconds the secure wrapper adds to receiving one packet (opening).
    var openNs: Double?
    var encryptedUdpPacketsPerS: Double?
    var encryptedUdpDeliveredRatio: Double?
    /// Encrypted UDP packets/s over plaintext UDP packets/s.
    var encryptedThroughputRatio: Double?
    var encryptedTcpStreamMbPerS: Double?
    /// Encrypted TCP stream MB/s over plaintext TCP stream MB/s.
    var encryptedStreamThroughputRatio: Double?
    var encryptedUdpRttP50Us: Double?
    var encryptedUdpRttP99Us: Double?
    var packetSize: Int = 0
    var frameSize: Int = 0
    var elapsedSeconds: Double = 0

    /// One JSON object, snake_case keys (`udp_packets_per_s`, `tcp_stream_mb_per_s`, …).
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A table for people.
    func table() -> String {
        func number(_ value: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }
        var table = """
            bcache bench transport (127.0.0.1, port 0)
            one way, \(packetSize)-byte packets   packets/s      MB/s   delivered
              UDP                        \(number(udpPacketsPerS).leftPadded(10))  \(number(udpMbPerS, 1).leftPadded(8))   \(number(udpDeliveredRatio * 100, 1))%
              TCP (pooled connection)    \(number(tcpPacketsPerS).leftPadded(10))  \(number(tcpMbPerS, 1).leftPadded(8))   \(number(tcpDeliveredRatio * 100, 1))%
            one way, \(frameSize)-byte stream frames
              TCP stream                                \(number(tcpStreamMbPerS, 1).leftPadded(8))
            round trip, 100-byte packet        p50 µs    p99 µs
              UDP                        \(number(udpRttP50Us, 1).leftPadded(10)) \(number(udpRttP99Us, 1).leftPadded(9))
              TCP                        \(number(tcpRttP50Us, 1).leftPadded(10)) \(number(tcpRttP99Us, 1).leftPadded(9))
            """
        if let sealNs, let openNs, let encryptedUdpPacketsPerS, let encryptedTcpStreamMbPerS {
            let udpRatio = number((encryptedThroughputRatio ?? 0) * 100, 1)
            let streamRatio = number((encryptedStreamThroughputRatio ?? 0) * 100, 1)
            let delivered = number((encryptedUdpDeliveredRatio ?? 0) * 100, 1)
            table += """

                encrypted (SecureTransport, XChaCha20-Poly1305)
                  per \(packetSize)-byte packet, no socket: seal +\(number(sealNs)) ns, open +\(number(openNs)) ns
                  UDP one way                \(number(encryptedUdpPacketsPerS).leftPadded(10)) packets/s   \(udpRatio)% of plain, \(delivered)% delivered
                  TCP stream                 \(number(encryptedTcpStreamMbPerS, 1).leftPadded(10)) MB/s        \(streamRatio)% of plain
                  UDP round trip             \(number(encryptedUdpRttP50Us ?? 0, 1).leftPadded(10)) \(number(encryptedUdpRttP99Us ?? 0, 1).leftPadded(9))   (p50, p99 µs)
                """
        }
        return table + "\n(\(number(elapsedSeconds, 1)) s)"
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
