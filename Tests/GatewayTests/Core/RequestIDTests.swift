import Testing

@testable import Gateway

@Suite struct RequestIDTests {
    @Test func uuidsAreVersion4AndUnique() {
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let id = Array(RequestID.uuid().utf8)
            #expect(id.count == 36)
            for (index, byte) in id.enumerated() {
                if [8, 13, 18, 23].contains(index) {
                    #expect(byte == UInt8(ascii: "-"))
                } else {
                    #expect((byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66), "not lower-case hex")
                }
            }
            #expect(id[14] == UInt8(ascii: "4"))
            #expect(Array("89ab".utf8).contains(id[19]))
            seen.insert(String(decoding: id, as: UTF8.self))
        }
        #expect(seen.count == 10_000)
    }

    /// The digits written a word at a time are a byte-by-byte writer's: each byte high nibble first, `high`'s
    /// bytes then `low`'s from the lowest, dashes after the 4th, 6th, 8th and 10th byte.
    @Test func uuidDigitsAreEachBytesInOrder() {
        func reference(_ high: UInt64, _ low: UInt64) -> String {
            var text = ""
            for index in 0..<16 {
                if [4, 6, 8, 10].contains(index) { text += "-" }
                let byte = UInt8(truncatingIfNeeded: (index < 8 ? high : low) >> (UInt64(index % 8) * 8))
                text += String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16)
            }
            return text
        }
        var generator = SystemRandomNumberGenerator()
        let words: [UInt64] = [0, .max, 0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210, 0x0909_0A0A_F0F0_0F0F]
        var pairs = words.flatMap { high in words.map { (high, $0) } }
        for _ in 0..<1_000 { pairs.append((generator.next(), generator.next())) }
        for (high, low) in pairs {
            #expect(RequestID.uuid(high: high, low: low, prefix: "") == reference(high, low))
            #expect(RequestID.uuid(high: high, low: low, prefix: "gen-") == "gen-" + reference(high, low))
        }
    }

    @Test func generationIdsAreAUUIDAfterGen() {
        let id = RequestID.generation()
        #expect(id.hasPrefix("gen-"))
        let uuid = Array(id.utf8.dropFirst(4))
        #expect(uuid.count == 36)
        #expect([8, 13, 18, 23].allSatisfy { uuid[$0] == UInt8(ascii: "-") })
        #expect(uuid[14] == UInt8(ascii: "4"))
        #expect(id != RequestID.generation())
    }

    @Test(arguments: [1, 8, 9, 16])
    func hexStringsHaveTwoDigitsPerByte(bytes: Int) {
        let text = RequestID.hexString(bytes: bytes)
        #expect(text.utf8.count == bytes * 2)
        #expect(text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        if bytes >= 8 { #expect(text != RequestID.hexString(bytes: bytes)) }  // 1 in 2^64 to collide
    }
}
