import BCacheTransport
import NIOCore
import NIOPosix

extension InterfaceAddress {
    /// This host's interface addresses, from NIO's `System.enumerateDevices()` (`getifaddrs`);
    /// empty when they cannot be listed. What the socket providers give as
    /// ``BCacheTransport/TransportProvider/interfaceAddresses``.
    package static func current() -> [InterfaceAddress] {
        guard let devices = try? System.enumerateDevices() else { return [] }
        return devices.compactMap { device in
            guard let address = device.address, let host = address.ipAddress else { return nil }
            let isLoopback: Bool
            switch address {
            case .v4: isLoopback = host.hasPrefix("127.")
            case .v6: isLoopback = host == "::1"
            case .unixDomainSocket: return nil
            }
            return InterfaceAddress(interface: device.name, host: host, isLoopback: isLoopback)
        }
    }
}
