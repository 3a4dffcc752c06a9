import BCacheSecure
import BCacheTransport
import BCacheTransportTCP
import BCacheTransportUDP
import BCacheTransportUDPTCP
import Testing

/// Every numeric setting of the socket transports and of the secure wrapper, set to 0, −1 and the
/// extremes of its type: `validate()` throws `invalidConfiguration`, or the value is accepted and
/// the transport binds on 127.0.0.1 port 0 and closes. Never a trap (the cache's own settings
/// are swept in `ConfigurationSweepTests`).
@Suite struct TransportSettingsSweepTests {
    static let ints = [0, -1, Int.min, Int.max]
    static let durations: [Duration] = [.zero, .seconds(-1), .seconds(Int64.min), .seconds(Int64.max)]

    /// Binds with the value (`bind` validates first): either `invalidConfiguration`, or a transport
    /// on a real port, closed again. Any other error fails the test.
    static func bindsOrIsRefused(_ name: String, _ bind: () async throws -> any Transport) async throws {
        let transport: any Transport
        do {
            transport = try await bind()
        } catch let error as TransportError where error.code == .invalidConfiguration {
            return
        }
        #expect(transport.localAddress.port != 0, "\(name)")
        await transport.close()
    }

    static func tcp(_ change: (inout TCPTransport.Configuration) -> Void) -> TCPTransport.Configuration {
        var configuration = TCPTransport.Configuration(host: "127.0.0.1", port: 0)
        change(&configuration)
        return configuration
    }

    static func udp(_ change: (inout UDPTransport.Configuration) -> Void) -> UDPTransport.Configuration {
        var configuration = UDPTransport.Configuration(host: "127.0.0.1", port: 0)
        change(&configuration)
        return configuration
    }

    @Test func tcpSettings() async throws {
        var cases: [(String, TCPTransport.Configuration)] = []
        for value in Self.ints {
            cases.append(("maxPacketSize", Self.tcp { $0.maxPacketSize = value }))
            cases.append(("maxFrameSize", Self.tcp { $0.maxFrameSize = value }))
            cases.append(("outboundQueueLimit", Self.tcp { $0.outboundQueueLimit = value }))
            cases.append(("receiveQueueCapacity", Self.tcp { $0.receiveQueueCapacity = value }))
            cases.append(("pendingStreamLimit", Self.tcp { $0.pendingStreamLimit = value }))
        }
        for value in Self.durations {
            cases.append(("connectTimeout", Self.tcp { $0.connectTimeout = value }))
            cases.append(("idleTimeout", Self.tcp { $0.idleTimeout = value }))
            cases.append(("reconnectInitialDelay", Self.tcp { $0.reconnectInitialDelay = value }))
            cases.append(("reconnectMaximumDelay", Self.tcp { $0.reconnectMaximumDelay = value }))
        }
        for (name, configuration) in cases {
            try await Self.bindsOrIsRefused(name) { try await TCPTransport.bind(configuration: configuration) }
        }
    }

    @Test func udpSettings() async throws {
        var cases: [(String, UDPTransport.Configuration)] = []
        for value in Self.ints {
            cases.append(("maxPacketSize", Self.udp { $0.maxPacketSize = value }))
            cases.append(("receiveQueueCapacity", Self.udp { $0.receiveQueueCapacity = value }))
        }
        // A receive buffer of Int.max is refused by the kernel at bind (a bind error, not a trap).
        for value in [0, -1, Int.min] {
            cases.append(("receiveBufferSize", Self.udp { $0.receiveBufferSize = value }))
        }
        for (name, configuration) in cases {
            try await Self.bindsOrIsRefused(name) { try await UDPTransport.bind(configuration: configuration) }
        }
    }

    @Test func udpAndTCPBindAttempts() async throws {
        for value in Self.ints {
            var configuration = UDPTCPTransport.Configuration(host: "127.0.0.1", port: 0)
            configuration.bindAttempts = value
            do {
                let transport = try await UDPTCPTransport.bind(configuration: configuration)
                #expect(value > 0)
                await transport.close()
            } catch let error as TransportError {
                #expect(value <= 0 && error.code == .invalidConfiguration, "\(value): \(error)")
            }
        }
    }

    @Test func secureSettings() async throws {
        let keyring = Keyring(primary: try SecretKey.generate())
        for value in Self.durations {
            for name in ["maxMessageAge", "maxClockSkew"] {
                var configuration = SecureTransport.Configuration(clusterLabel: "sweep")
                if name == "maxMessageAge" {
                    configuration.maxMessageAge = value
                } else {
                    configuration.maxClockSkew = value
                }
                do {
                    try configuration.validate()
                } catch {
                    #expect(error.code == .invalidConfiguration, "\(name) \(value): \(error)")
                    continue
                }
                // An age limit of 0 refuses a packet that crosses a millisecond: nothing to round-trip.
                if name == "maxMessageAge", value == .zero { continue }
                let network = InMemoryNetwork(seed: 1)
                let a = try SecureTransport(
                    wrapping: try network.makeTransport(address: NodeAddress(host: "10.0.0.1", port: 1)),
                    keyring: keyring, configuration: configuration)
                let b = try SecureTransport(
                    wrapping: try network.makeTransport(address: NodeAddress(host: "10.0.0.2", port: 1)),
                    keyring: keyring, configuration: configuration)
                // Sealing and opening with the extreme value works.
                try await a.send([1, 2, 3], to: b.localAddress)
                var packets = b.incomingPackets.makeAsyncIterator()
                #expect(await packets.next()?.bytes == [1, 2, 3], "\(name) \(value)")
                await a.close()
                await b.close()
            }
        }
    }
}
