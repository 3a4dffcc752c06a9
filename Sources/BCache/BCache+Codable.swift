import BCacheCore
import Foundation

extension BCache {
    /// Stores `value` encoded as JSON; see ``set(_:_:ttl:)-(_,[UInt8],_)``.
    ///
    /// - Throws: ``BCacheError`` with code ``BCacheError/Code/encodingFailed`` (the encoder's
    ///   error as its ``BCacheError/cause``) when `value` does not encode, or the codes of
    ///   ``set(_:_:ttl:)-(_,[UInt8],_)`` when the store refuses it.
    public func set<Value: Encodable>(_ key: String, codable value: Value, ttl: Duration? = nil) throws(BCacheError) {
        try set(key, Self.jsonEncoded(value, forKey: key), ttl: ttl)
    }

    /// The value of `key` decoded from JSON as `type`, or nil when absent.
    ///
    /// - Throws: ``BCacheError`` with code ``BCacheError/Code/decodingFailed`` (the decoder's
    ///   error as its ``BCacheError/cause``) when the stored bytes are not a `Value` (written as another type, or by another version of the type).
    public func get<Value: Decodable>(_ key: String, as type: Value.Type) throws(BCacheError) -> Value? {
        // One copy, straight into `Data` (not an array and then `Data`); the decoding runs
        // after the shard's lock is released.
        guard let data = withValue(forKey: key, { Data($0) }) else { return nil }
        return try Self.jsonDecoded(Value.self, from: data, forKey: key)
    }

    /// `value` as JSON, its encoder's error as ``BCacheError/Code/encodingFailed``: the one
    /// encoding of every Codable accessor and filler.
    static func jsonEncoded<Value: Encodable>(_ value: Value, forKey key: String) throws(BCacheError) -> [UInt8] {
        do {
            return Array(try JSONEncoder().encode(value))
        } catch {
            throw .encodingFailed("cannot encode a \(Value.self) for '\(key)'", cause: error)
        }
    }

    /// `data` decoded from JSON as `type`, its decoder's error as
    /// ``BCacheError/Code/decodingFailed``.
    static func jsonDecoded<Value: Decodable>(
        _ type: Value.Type, from data: Data, forKey key: String
    ) throws(BCacheError) -> Value {
        do {
            return try JSONDecoder().decode(Value.self, from: data)
        } catch {
            throw .decodingFailed("the value of '\(key)' is not a \(Value.self)", cause: error)
        }
    }
}
