import Testing

@testable import RPC

@Suite struct KnownFieldNamesTests {
    private static let known = [
        "te", "host", "accept", "expect", "x-api-key", "user-agent", "connection", "traceparent", "content-type",
        "grpc-timeout", "x-request-id", "authorization", "grpc-encoding", "content-length", "accept-encoding",
        "anthropic-version", "transfer-encoding", "grpc-accept-encoding",
    ]

    private func literal(_ name: String) -> String? {
        Array(name.utf8).withUnsafeBufferPointer { KnownFieldNames.literal(for: Span(_unsafeElements: $0)) }
    }

    /// Every known name is found as itself and in any ASCII case; each differs from the others of its length.
    @Test(arguments: known)
    func knownNamesAreFoundIgnoringCase(name: String) {
        #expect(literal(name) == name)
        #expect(literal(name.uppercased()) == name)
        let titled = name.split(separator: "-", omittingEmptySubsequences: false)
            .map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: "-")
        #expect(literal(titled) == name)
    }

    /// A name one byte away from a known one, at any position, is not taken for it: such names are decoded
    /// from their own bytes. Bytes that fold to the same letter only through a mask (a control byte is
    /// 0x20 below a digit or a dash) do not match either.
    @Test(arguments: known)
    func nearMissesAreNotKnown(name: String) {
        let bytes = Array(name.utf8)
        for index in bytes.indices {
            for replacement: UInt8 in [bytes[index] ^ 0x20, bytes[index] &- 0x20, UInt8(ascii: "_"), 0x80] {
                var changed = bytes
                changed[index] = replacement
                let folded = changed.map { $0 &- 0x41 < 26 ? $0 | 0x20 : $0 }
                guard folded != bytes else { continue }  // only a case change: still the name
                let found = changed.withUnsafeBufferPointer { KnownFieldNames.literal(for: Span(_unsafeElements: $0)) }
                #expect(found == nil, "\(String(decoding: changed, as: UTF8.self)) taken for \(name)")
            }
        }
        #expect(literal(name + "s") == nil)
        #expect(literal(String(name.dropLast())) == nil)
    }

    @Test func otherNamesAreNotKnown() {
        for name in ["", "x", "cookie", "x-gateway-client", "content-md5", "a-very-long-field-name-indeed"] {
            #expect(literal(name) == nil)
        }
    }
}
