import Testing

@testable import Gateway

/// The reader must read a document exactly as the tree parser does: every case is checked against it (the
/// json fuzz target checks the same on arbitrary input).
@Suite struct JSONReaderTests {
    /// Each top-level member named a, b, c, é or choices, read whole (the last of a repeated key wins).
    private func members(_ text: String) throws -> [String: JSON] {
        try JSONReader.read(Array(text.utf8)) { reader in
            var found: [String: JSON] = [:]
            try reader.members { reader, key in
                for name: StaticString in ["a", "b", "c", "é", "choices"] where key == name {
                    found[name.description] = try reader.json()
                }
            }
            return found
        }
    }

    @Test(arguments: [
        #"{"a": [1, -2.5e2, true, false, null], "b": {"c": "d", "e": [{}]}, "c": ""}"#,
        #" { "a" : "x\"}]" , "b" : { "a" : [ "]" , "}" ] } , "c" : -0 } "#,
        #"{"a": 1, "a": 2, "b": "\u00e9\ud83d\ude00\\", "c": null}"#,
        #"{"\u0061": "escaped key", "\u00e9": 3, "choices": []}"#,
        #"{}"#, #"[]"#, #""a""#, #"7"#, "true",
        #"{"x": 123456789012345, "y": -1234567890123456, "z": [0.5, -0e+1, 1E-2], "a": 99999999999999999999}"#,
        #"{"x": "plain, then an escape\n\"\u00e9 and more", "a": "plain for more than eight bytes"}"#,
    ])
    func readsMembersAsTheParserDoes(text: String) throws {
        let tree = try JSONParser.parse(text)
        let expected = (tree.objectValue?.entries ?? []).reduce(into: [String: JSON]()) { found, member in
            if ["a", "b", "c", "é", "choices"].contains(member.key) { found[member.key] = member.value }
        }
        #expect(try members(text) == expected)
    }

    @Test(
        arguments: [
            ("12", 12), ("0", 0), ("-3", 0), ("2.9", 2), ("1e3", 1000), ("99999999999999999999", JSON.largestCount),
            ("\"5\"", nil), ("null", nil), ("[1]", nil),
        ] as [(String, Int?)])
    func readsCountsAsTheTreeDoes(text: String, count: Int?) throws {
        #expect(try JSONReader.read(Array(text.utf8)) { try $0.count() } == count)
        #expect(try JSONParser.parse(text).countValue == count)
    }

    @Test(arguments: [
        "", " ", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "tru", "\"abc", "\"\\x\"", "\"\\ud83d\"", "{'a':1}",
        "[1] 2", "\"a\u{01}b\"", "NaN", "1e999", "{\"x\": 1e999, \"a\": 1}", "\"more than eight\u{01}\"", "\"eight+\\",
        "{\"a\" 1}", "{\"a\":}", "[1 2]", "\u{FEFF}{}", "{\"a\":[1,}",
    ])
    func rejectsWhatTheParserRejects(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
        #expect(throws: JSONParseError.self) { try JSONReader.read(Array(text.utf8)) { _ in () } }
        #expect(throws: JSONParseError.self) { try JSONReader.read(Array(text.utf8)) { try $0.json() } }
    }

    @Test func valuesLeftUnreadAreStillChecked() {
        let text = #"{"a": "fine", "b": [1, {"c": tru}]}"#
        #expect(throws: JSONParseError.self) {
            try JSONReader.read(Array(text.utf8)) { reader in
                try reader.members { reader, key in if key == "a" { _ = try reader.string() } }
            }
        }
    }

    @Test func rejectsDeepNestingAndReadsInvalidUTF8AsReplacement() throws {
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: JSONParseError.self) { try JSONReader.read(Array(deep.utf8)) { _ in () } }
        let stray: [UInt8] = Array(#"{"a":"x"#.utf8) + [0xFF] + Array(#"y"}"#.utf8)
        let text = try JSONReader.read(stray) { reader in
            var text: String?
            try reader.members { reader, key in if key == "a" { text = try reader.string() } }
            return text
        }
        #expect(text == "x\u{FFFD}y")
        #expect(text == (try JSONParser.parseRepairingUTF8(stray))["a"]?.stringValue)
    }

    @Test func keysCompareByWhatTheySay() throws {
        try JSONReader.read(Array(#"{"content": 1, "\u0063ontent": 2, "contents": 3, "conten": 4}"#.utf8)) { reader in
            var matched: [Int] = []
            var texts: [String] = []
            try reader.members { reader, key in
                texts.append(key.text)
                let count = try reader.count() ?? -1
                if key == "content" { matched.append(count) }
            }
            #expect(matched == [1, 2])
            #expect(texts == ["content", "content", "contents", "conten"])
        }
    }

    @Test func firstElementsAndStrings() throws {
        let text = try JSONReader.read(Array(#"[ {"a": "b\nc"}, 2 ]"#.utf8)) { reader in
            var text: String?
            try reader.elements { reader, position in
                guard position == 0 else { return }
                try reader.members { reader, key in if key == "a" { text = try reader.string() } }
            }
            return text
        }
        #expect(text == "b\nc")
    }

    /// The eight-byte test finds the first quote, backslash or control byte at every position, among plain
    /// ASCII and UTF-8 bytes and whatever follows it, and lets all-plain words through.
    @Test func theWordTestFindsEveryByteThatEndsAPlainRun() {
        let specials: [UInt8] = Array(0..<0x20) + [0x22, 0x5C]
        let fillers: [UInt8] = [0x20, 0x21, 0x23, 0x41, 0x5B, 0x5D, 0x7F, 0x80, 0xC3, 0xFF]
        func word(_ bytes: [UInt8]) -> UInt64 {
            bytes.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        }
        for filler in fillers {
            #expect(JSONParser.stringSpecials(word(Array(repeating: filler, count: 8))) == 0)
            for special in specials {
                for position in 0..<8 {
                    var bytes = Array(repeating: filler, count: 8)
                    bytes[position] = special
                    let first = JSONParser.stringSpecials(word(bytes)).trailingZeroBitCount >> 3
                    #expect(first == position, "byte \(special) at \(position)")
                }
            }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let bytes = (0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let first = bytes.firstIndex { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C } ?? 8
            #expect(JSONParser.stringSpecials(word(bytes)).trailingZeroBitCount >> 3 == first, "\(bytes)")
        }
    }

    /// Strings long enough for the eight-byte steps read as the parser reads them, with the run ending at
    /// every offset.
    @Test func longStringsReadAsTheParserDoes() throws {
        for length in 0..<40 {
            for ending in [#"\n"#, #"\""#, "é", ""] {
                let text = #"{"a": ""# + String(repeating: "x", count: length) + ending + "yz" + #"", "b": 1}"#
                let read = try members(text)
                let tree = try JSONParser.parse(text)
                #expect(read["a"] == tree["a"], "\(text)")
                #expect(read["b"] == tree["b"])
            }
        }
        #expect(throws: JSONParseError.self) {
            try members("{\"a\": \"" + String(repeating: "x", count: 9) + "\u{1}\"}")
        }
    }
}
