import BCacheBase

extension WireReader {
    /// Skips an identity's fields after its ID (name, address, generation, metadata) when they
    /// are exactly `known`'s encoding; otherwise returns false and leaves the reader where it was.
    ///
    /// Accepts only what the full decoding accepts: the same bounds checks (every read goes
    /// through ``ByteReader``), canonical varints, and the known identity must itself pass the
    /// full decoding's checks (a non-empty host, a port other than 0; the name is never empty).
    /// Whatever does not match, including truncated input, is left to the full decoding, which
    /// then reports it.
    mutating func skipIdentity(encoding known: Membership.NodeIdentity) -> Bool {
        guard !known.address.host.isEmpty, known.address.port != 0 else { return false }
        // A copy: on a mismatch the caller decodes from the same place.
        var probe = self
        guard probe.skipShortString(equalTo: known.name), probe.skipShortString(equalTo: known.address.host),
            (try? probe.readUInt16()) == known.address.port, (try? probe.readVarint()) == known.generation,
            probe.skipLengthPrefixed(equalTo: known.metadata)
        else { return false }
        self = probe
        return true
    }

    /// A one-byte length and the bytes of `text`, compared in place.
    private mutating func skipShortString(equalTo text: String) -> Bool {
        guard let count = try? readByte(), Int(count) == text.utf8.count,
            let bytes = try? readSlice(Int(count))
        else { return false }
        return bytes.elementsEqual(text.utf8)
    }

    /// A varint length and `expected`'s bytes, compared in place.
    private mutating func skipLengthPrefixed(equalTo expected: [UInt8]) -> Bool {
        guard let count = try? readVarint(), count == UInt64(expected.count), let bytes = try? readSlice(expected.count)
        else { return false }
        return bytes.elementsEqual(expected)
    }
}
