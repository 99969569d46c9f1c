import Testing

@testable import Gateway

/// The member index behind request reading: it takes exactly the objects `JSONParser.parse` takes, and a
/// member's value is the tree's.
@Suite struct JSONMemberIndexTests {
    @Test(arguments: [
        #"{"model":"m","prompt":"hi"}"#, #" { } "#, #"{"a":[1,{"b":null}],"c":-0.5e3,"d":true}"#,
        #"{"a":1,"a":2}"#, #"{"\u006dodel":"escaped key"}"#, #"{"s":"\ud83d\ude00 and \n"}"#,
        // Refused by the parser, so by the index:
        #"{"a":1} x"#, #"{"a":01}"#, #"{"a":1,}"#, #"{"a":"\ud800"}"#, #"{"a":"\x"}"#, #"[1]"#, #""s""#, "",
        #"{"a":tru}"#, #"{"a" 1}"#, #"{"a":1"#,
    ])
    func takesWhatTheParserTakes(_ text: String) {
        let bytes = Array(text.utf8)
        let object = (try? JSONParser.parse(bytes))?.objectValue
        let index = JSONMemberIndex(bytes)
        #expect((index != nil) == (object != nil))
        guard let index, let object else { return }
        for entry in object.entries { #expect(index.value(entry.key) == entry.value, "\(entry.key)") }
    }

    @Test func invalidUTF8AnywhereIsRefused() {
        // In a member nobody reads: the parser refuses the whole body, so the index must too.
        let bytes = Array(#"{"model":"m","unread":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect((try? JSONParser.parse(bytes)) == nil)
        #expect(JSONMemberIndex(bytes) == nil)
    }

    @Test func nestingPastTheParsersLimitIsRefused() {
        let deep = #"{"a":"# + String(repeating: "[", count: 128) + String(repeating: "]", count: 128) + "}"
        #expect((try? JSONParser.parse(Array(deep.utf8))) == nil)
        #expect(JSONMemberIndex(Array(deep.utf8)) == nil)
        let allowed = #"{"a":"# + String(repeating: "[", count: 127) + String(repeating: "]", count: 127) + "}"
        #expect(JSONMemberIndex(Array(allowed.utf8))?.value("a") != nil)
    }

    @Test func aRepeatedKeyReadsItsLastValueAndAnAbsentOneNothing() throws {
        let index = try #require(JSONMemberIndex(Array(#"{"a":1,"b":"x","a":[2]}"#.utf8)))
        #expect(index.value("a") == .array([.number(2)]))
        #expect(index.value("b") == .string("x"))
        #expect(index.value("c") == nil)
        #expect(index.value("") == nil)
    }
}
