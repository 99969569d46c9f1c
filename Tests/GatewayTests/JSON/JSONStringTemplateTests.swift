import Testing

@testable import Gateway

/// A template filled with a text writes the very bytes the whole document would.
@Suite struct JSONStringTemplateTests {
    @Test(arguments: ["plain", "quote \" and \\ and\nnewline", "ünïcødé 😀", "", "\u{0}"])
    func fillingMatchesTheWholeDocument(text: String) throws {
        func document(_ content: JSON) -> JSON {
            ["id": "x", "nested": ["content": content, "n": 1], "done": false]
        }
        let template = try #require(JSONStringTemplate(document(JSONStringTemplate.slot)))
        var filled: [UInt8] = []
        template.write(text, into: &filled)
        #expect(filled == JSONSerializer.serialize(document(.string(text))))
    }

    @Test func aDocumentWithoutExactlyOneSlotHasNoTemplate() {
        #expect(JSONStringTemplate(["a": "b"]) == nil)
        #expect(JSONStringTemplate(["a": JSONStringTemplate.slot, "b": JSONStringTemplate.slot]) == nil)
        // Text that reads like the slot once escaped is not the slot.
        #expect(JSONStringTemplate(["a": .string(#"\u0000"#), "b": .string("\u{0}x")]) == nil)
    }

    /// The slot found at the document's very start and end: the document can be the slot alone.
    @Test func theSlotAloneIsATemplate() throws {
        let template = try #require(JSONStringTemplate(JSONStringTemplate.slot))
        var filled: [UInt8] = []
        template.write("t", into: &filled)
        #expect(filled == Array(#""t""#.utf8))
        #expect(JSONStringTemplate(["a": .string(#"\u0000"#), "b": JSONStringTemplate.slot]) != nil)
    }

    /// An event stream's framing, written around the document.
    @Test func theFramingGoesAroundTheDocument() throws {
        let template = try #require(JSONStringTemplate(["a": JSONStringTemplate.slot], before: "data: ", after: "\n\n"))
        var filled: [UInt8] = []
        template.write("t", into: &filled)
        #expect(filled == Array("data: {\"a\":\"t\"}\n\n".utf8))
    }
}
