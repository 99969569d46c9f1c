/// The field names nearly every request carries, as string literals: a name read off the wire that is one of
/// them takes the literal rather than a string decoded from its bytes (decoding and checking a name cost
/// ~100 instructions, and a gRPC call carries eight names, a REST request five).
enum KnownFieldNames {
    /// The lower-case literal `bytes` spell, ignoring ASCII case; nil for any other name.
    static func literal(for bytes: Span<UInt8>) -> String? {
        // By length first: most names have no other known name of their length to compare with.
        switch bytes.count {
        case 2 where spells(bytes, "te"): return "te"
        case 4 where spells(bytes, "host"): return "host"
        case 6 where spells(bytes, "accept"): return "accept"
        case 6 where spells(bytes, "expect"): return "expect"
        case 9 where spells(bytes, "x-api-key"): return "x-api-key"
        case 10 where spells(bytes, "user-agent"): return "user-agent"
        case 10 where spells(bytes, "connection"): return "connection"
        case 11 where spells(bytes, "traceparent"): return "traceparent"
        case 12 where spells(bytes, "content-type"): return "content-type"
        case 12 where spells(bytes, "grpc-timeout"): return "grpc-timeout"
        case 12 where spells(bytes, "x-request-id"): return "x-request-id"
        case 13 where spells(bytes, "authorization"): return "authorization"
        case 13 where spells(bytes, "grpc-encoding"): return "grpc-encoding"
        case 14 where spells(bytes, "content-length"): return "content-length"
        case 15 where spells(bytes, "accept-encoding"): return "accept-encoding"
        case 17 where spells(bytes, "anthropic-version"): return "anthropic-version"
        case 17 where spells(bytes, "transfer-encoding"): return "transfer-encoding"
        case 20 where spells(bytes, "grpc-accept-encoding"): return "grpc-accept-encoding"
        default: return nil
        }
    }

    /// Whether `bytes` spell `name` (lower-case ASCII), ignoring ASCII case; the caller checked the length.
    static func spells(_ bytes: Span<UInt8>, _ name: StaticString) -> Bool {
        let expected = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        guard bytes.count == expected.count else { return false }
        for index in 0..<bytes.count {
            if HTTPFields.lowercasedASCII(bytes[index]) != expected[index] { return false }
        }
        return true
    }
}
