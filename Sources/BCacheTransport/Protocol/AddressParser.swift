/// Why an address did not parse, naming the part that is wrong.
public struct AddressParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The text that was parsed.
    public var input: String
    /// What is wrong with it, naming the part (host, port, brackets).
    public var reason: String

    /// The error for `input`, wrong because of `reason`.
    public init(input: String, reason: String) {
        self.input = input
        self.reason = reason
    }

    public var description: String { "invalid address '\(input)': \(reason)" }
}

/// Parses `host:port` and `[ipv6]:port`.
enum AddressParser {
    static func parse(_ text: String) throws(AddressParseError) -> NodeAddress {
        func fail(_ reason: String) -> AddressParseError { AddressParseError(input: text, reason: reason) }
        guard !text.isEmpty else { throw fail("the address is empty; expected host:port") }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw fail("the IPv6 host has '[' but no closing ']'")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw fail("expected ':port' after ']'") }
            portText = rest.dropFirst()
            guard host.contains(":"), IPv6Literal.isValid(host) else {
                throw fail("'\(host)' between brackets is not an IPv6 address")
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw fail("the port is missing; expected host:port")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                throw fail("an IPv6 host must be written in brackets, as [\(host)]:\(portText)")
            }
            guard !host.isEmpty else { throw fail("the host is empty") }
            if host.allSatisfy({ $0.isNumber || $0 == "." }) {
                guard IPv4Literal.isValid(host) else {
                    throw fail("the host '\(host)' is not a valid IPv4 address")
                }
            } else {
                guard HostName.isValid(host) else {
                    throw fail("the host '\(host)' is not a valid DNS name")
                }
            }
        }
        guard !portText.isEmpty else { throw fail("the port is empty") }
        guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = UInt16(portText) else {
            throw fail("the port '\(portText)' is not a number from 0 to 65535")
        }
        return NodeAddress(host: String(host), port: port)
    }
}

enum IPv4Literal {
    /// Four dot-separated decimal parts of one to three ASCII digits, each at most 255.
    ///
    /// One pass over the UTF-8 bytes: every decoded member address goes through here
    /// (``NodeAddress/init(host:port:)``), and splitting into substrings and walking characters
    /// made it a tenth of a 1,000-node cluster's CPU under loss.
    static func isValid<S: StringProtocol>(_ text: S) -> Bool {
        var dots = 0
        var digits = 0
        var value = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0 else { return false }
                dots += 1
                digits = 0
                value = 0
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                digits += 1
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                guard digits <= 3, value <= 255 else { return false }
            } else {
                return false
            }
        }
        return dots == 3 && digits > 0
    }
}

enum IPv6Literal {
    static func isValid<S: StringProtocol>(_ text: S) -> Bool {
        // Strip a zone (fe80::1%eth0) before checking the groups.
        let address = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard !address.isEmpty, address.count <= 45 else { return false }
        let halves = address.split(separator: "::", omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return false }
        var groupCount = 0
        for (index, half) in halves.enumerated() where !half.isEmpty {
            let groups = half.split(separator: ":", omittingEmptySubsequences: false)
            for (groupIndex, group) in groups.enumerated() {
                let isLast = index == halves.count - 1 && groupIndex == groups.count - 1
                if isLast, group.contains("."), IPv4Literal.isValid(group) {
                    groupCount += 2
                    continue
                }
                guard (1...4).contains(group.count), group.allSatisfy(\.isHexDigit) else { return false }
                groupCount += 1
            }
        }
        return halves.count == 2 ? groupCount < 8 : groupCount == 8
    }
}

enum HostName {
    /// RFC 1123 host names: labels of letters, digits and hyphens, not starting or ending with a
    /// hyphen, at most 63 characters each and 253 in all.
    static func isValid<S: StringProtocol>(_ text: S) -> Bool {
        guard text.count <= 253 else { return false }
        let whole = Substring(text)
        let trimmed = whole.hasSuffix(".") ? whole.dropLast() : whole
        let labels = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            (1...63).contains(label.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "_" }
        }
    }
}
