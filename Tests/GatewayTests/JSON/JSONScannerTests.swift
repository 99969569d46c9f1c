import Testing

@testable import Gateway

/// The scanner must read a document exactly as the tree parser does: every case is checked against it.
@Suite struct JSONScannerTests {
    /// Each top-level member as the scanner reads it (the last of a repeated key wins).
    private func members(_ text: String) throws -> [String: JSON] {
        try JSONScanner.read(Array(text.utf8)) { root in
            var found: [String: JSON] = [:]
            root.forEachMember { key, value in
                for name: StaticString in ["a", "b", "c", "é", "choices"] where key == name {
                    found[name.description] = value.json
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
        #"{}"#, #"[]"#, #""a""#, #"7"#,
    ])
    func readsMembersAsTheParserDoes(text: String) throws {
        let tree = try JSONParser.parse(text)
        let expected = (tree.objectValue?.entries ?? []).reduce(into: [String: JSON]()) { found, member in
            if ["a", "b", "c", "é", "choices"].contains(member.key) { found[member.key] = member.value }
        }
        #expect(try members(text) == expected)
    }

    @Test(arguments: [
        "", " ", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "tru", "\"abc", "\"\\x\"", "\"\\ud83d\"", "{'a':1}",
        "[1] 2", "\"a\u{01}b\"", "NaN", "1e999", "{\"a\" 1}", "{\"a\":}", "[1 2]", "\u{FEFF}{}",
    ])
    func rejectsWhatTheParserRejects(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
        #expect(throws: JSONParseError.self) { try JSONScanner.read(Array(text.utf8)) { _ in () } }
    }

    @Test func rejectsDeepNestingAndReadsInvalidUTF8AsReplacement() throws {
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: JSONParseError.self) { try JSONScanner.read(Array(deep.utf8)) { _ in () } }
        let stray: [UInt8] = Array(#"{"a":"x"#.utf8) + [0xFF] + Array(#"y"}"#.utf8)
        let text = try JSONScanner.read(stray) { root in
            var text: String?
            root.forEachMember { key, value in if key == "a" { text = value.stringValue } }
            return text
        }
        #expect(text == "x\u{FFFD}y")
        #expect(text == (try JSONParser.parseRepairingUTF8(stray))["a"]?.stringValue)
    }

    @Test(
        arguments: [
            ("12", 12), ("0", 0), ("-3", 0), ("2.9", 2), ("1e3", 1000), ("99999999999999999999", JSON.largestCount),
            ("123456789012345", JSON.largestCount), ("\"5\"", nil), ("null", nil), ("[1]", nil),
        ] as [(String, Int?)])
    func readsCountsAsTheTreeDoes(text: String, count: Int?) throws {
        #expect(try JSONScanner.read(Array(text.utf8)) { $0.countValue } == count)
        #expect(try JSONParser.parse(text).countValue == count)
    }

    @Test func readsFirstElementsAndStrings() throws {
        try JSONScanner.read(Array(#"[ {"a": "b\nc"}, 2 ]"#.utf8)) { root in
            var text: String?
            root.firstElement?.forEachMember { key, value in if key == "a" { text = value.stringValue } }
            #expect(text == "b\nc")
        }
        try JSONScanner.read(Array("[ ]".utf8)) { root in #expect(root.firstElement == nil) }
        try JSONScanner.read(Array(#"{"a":1}"#.utf8)) { root in
            #expect(root.firstElement == nil)
            #expect(root.stringValue == nil)
            #expect(!root.isNull)
        }
    }
}
