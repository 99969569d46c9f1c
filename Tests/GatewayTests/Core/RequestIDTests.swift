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
