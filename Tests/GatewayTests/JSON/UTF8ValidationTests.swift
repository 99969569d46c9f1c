import Testing

@testable import Gateway

@Suite struct UTF8ValidationTests {
    /// The standard library's validator is the reference: every 1- and 2-byte sequence, every 3-byte
    /// sequence with an E0–EF lead, and every 4-byte sequence around the F0/F4 boundaries agree.
    @Test func agreesWithTheStandardLibrary() {
        var sequences: [[UInt8]] = []
        for a in 0...255 {
            sequences.append([UInt8(a)])
            for b in 0...255 { sequences.append([UInt8(a), UInt8(b)]) }
        }
        for a in 0xE0...0xEF {
            for b in 0x70...0xC5 {
                for c in [0x3F, 0x80, 0xBF, 0xC0] { sequences.append([UInt8(a), UInt8(b), UInt8(c)]) }
            }
        }
        for a in [0xEF, 0xF0, 0xF3, 0xF4, 0xF5] {
            for b in 0x7F...0xC0 { for c in [0x80, 0xC0] { sequences.append([UInt8(a), UInt8(b), UInt8(c), 0x80]) } }
        }
        for bytes in sequences {
            let mine = bytes.withUnsafeBufferPointer { UTF8Validation.isValid($0) }
            #expect(mine == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
        }
    }

    /// ASCII is checked eight bytes at a time: a sequence anywhere in or across those words, and a word's
    /// worth of ASCII left at the end, are judged as the standard library judges them.
    @Test func sequencesAmongASCIIRunsAgreeWithTheStandardLibrary() {
        let sequences: [[UInt8]] = [
            [0xFF], [0x80], [0xC3, 0xA9], [0xC3], [0xE6, 0x97, 0xA5], [0xE6, 0x97], [0xF0, 0x9F, 0x99, 0x82],
        ]
        for sequence in sequences {
            for before in 0...17 {
                for after in [0, 1, 7, 8, 9] {
                    let bytes =
                        Array(repeating: UInt8(ascii: "a"), count: before) + sequence
                        + Array(repeating: UInt8(ascii: "b"), count: after)
                    let mine = bytes.withUnsafeBufferPointer { UTF8Validation.isValid($0) }
                    #expect(mine == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
                }
            }
        }
    }

    @Test func streamsReadBrokenSequencesAsReplacementCharacters() throws {
        let broken: [UInt8] = Array(#"{"text":"a"#.utf8) + [0xE6, 0x97] + Array(#"b"}"#.utf8)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(broken) }
        #expect(try JSONParser.parseRepairingUTF8(broken) == ["text": "a\u{FFFD}b"])
        #expect(throws: JSONParseError.self) { try JSONParser.parseRepairingUTF8(Array(#"{"text":}"#.utf8)) }
        var ndjson = NDJSONDecoder()
        #expect(try ndjson.feed(broken + [0x0A]) == [["text": "a\u{FFFD}b"]])
    }

    @Test func parserKeepsNonASCIIAndRejectsBrokenSequences() throws {
        #expect(try JSONParser.parse("\"é 日本 🙂\"") == .string("é 日本 🙂"))
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xE6, 0x97, 0x22]) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xED, 0xA0, 0x80, 0x22]) }
    }
}
