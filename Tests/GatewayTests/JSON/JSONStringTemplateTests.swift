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
    }
}
