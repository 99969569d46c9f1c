import Testing

@testable import RPC

@Suite struct HTTPFieldsTests {
    @Test(arguments: [
        ("Content-Type", "content-type"), ("x-request-id", "x-request-id"), ("HOST", "host"), ("", ""),
        ("Ünïcode-Name", "ünïcode-name"),
    ])
    func namesAreLowerCased(name: String, lowered: String) {
        #expect(HTTPFields.lowercase(name) == lowered)
    }

    /// Capitals are found eight bytes at a time and byte by byte in the tail: every ASCII byte at every
    /// offset of a name longer than two words comes out as a byte-by-byte lower-casing writes it, and bytes
    /// past ASCII neither count as capitals nor hide one.
    @Test func everyASCIIByteAtEveryOffsetIsLowerCasedAsByteByByte() {
        let base = Array("abcdefghijklmnopq".utf8)
        for offset in base.indices {
            for byte in UInt8(0x20)..<0x7F {
                var name = base
                name[offset] = byte
                let expected = String(decoding: name.map { $0 &- 0x41 < 26 ? $0 | 0x20 : $0 }, as: UTF8.self)
                #expect(HTTPFields.lowercase(String(decoding: name, as: UTF8.self)) == expected)
            }
            var accented = base
            accented.replaceSubrange(offset..<offset + 1, with: Array("é".utf8))
            let lowerAccented = String(decoding: accented, as: UTF8.self)
            #expect(HTTPFields.lowercase(lowerAccented) == lowerAccented)
            #expect(HTTPFields.lowercase("X" + lowerAccented) == "x" + lowerAccented)
        }
    }

    @Test func lookupsIgnoreCase() {
        var fields: HTTPFields = ["Content-Type": "application/json"]
        fields.append("X-Trace", "a")
        fields.append("x-trace", "b")
        #expect(fields["content-type"] == "application/json")
        #expect(fields["CONTENT-TYPE"] == "application/json")
        #expect(fields.values("X-TRACE") == ["a", "b"])
        fields.set("x-Trace", "c")
        #expect(fields.values("x-trace") == ["c"])
    }

    @Test func removeDropsEveryFieldOfTheNameAndNothingElse() {
        var fields: HTTPFields = ["Connection": "keep-alive", "content-type": "text/plain"]
        fields.append("connection", "upgrade")
        fields.remove("CONNECTION")
        #expect(fields.entries.map(\.name) == ["content-type"])
        fields.remove("transfer-encoding")
        #expect(fields.entries == [HTTPFields.Field(name: "content-type", value: "text/plain")])
    }

    @Test func namesOfTheSameLengthAreToldApart() {
        var fields: HTTPFields = ["x-a": "1", "x-b": "2", "accept": "json", "origin": "here"]
        #expect(fields["x-b"] == "2")
        #expect(fields["origin"] == "here")
        #expect(fields["x-c"] == nil)
        #expect(fields["X-C"] == nil)
        fields.remove("x-a")
        fields.set("accept", "text")
        #expect(fields.entries.map(\.name) == ["x-b", "origin", "accept"])
        #expect(fields.values("accept") == ["text"])
    }
}
