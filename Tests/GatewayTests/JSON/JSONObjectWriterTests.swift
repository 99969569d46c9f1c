import Testing

@testable import Gateway

@Suite struct JSONObjectWriterTests {
    @Test func writesWhatTheSerializerWritesForTheSameTree() {
        var writer = JSONObjectWriter(reservingCapacity: 4)  // grows past its first buffer
        writer.add("text", "quote \" backslash \\ newline \n tab \t bell \u{7} é 🙂")
        writer.add("count", 2000)
        writer.add("negative", -42)
        writer.add("fraction", 0.7)
        writer.add("huge", 1e300)
        writer.add("flag", false)
        writer.add("tree", ["a": [1, "b", nil, true], "c": ["d": 1.5]])
        writer.add("options") { nested in
            nested.add("include_usage", true)
            nested.add("empty") { _ in }
        }
        writer.add("items", array: ["x", "y\"z"]) { item, out in
            JSONObjectWriter.write(into: &out) { $0.add("name", item) }
        }
        writer.add("none", array: [Int]()) { _, _ in }

        let tree: JSON = [
            "text": "quote \" backslash \\ newline \n tab \t bell \u{7} é 🙂",
            "count": 2000, "negative": -42, "fraction": 0.7, "huge": 1e300, "flag": false,
            "tree": ["a": [1, "b", nil, true], "c": ["d": 1.5]],
            "options": ["include_usage": true, "empty": .object(JSONObject())],
            "items": [["name": "x"], ["name": "y\"z"]], "none": [],
        ]
        #expect(writer.finish() == JSONSerializer.serialize(tree))
    }

    @Test func anEmptyObjectAndMembersAddedThroughTheSinkProtocol() {
        #expect(JSONObjectWriter().finish() == Array("{}".utf8))
        func addBoth(_ sink: inout some JSONMemberSink) {
            sink.add("a", "one")
            sink.add("b", [1, 2])
        }
        var writer = JSONObjectWriter()
        var object = JSONObject()
        addBoth(&writer)
        addBoth(&object)
        #expect(writer.finish() == JSONSerializer.serialize(.object(object)))
    }

    @Test func writesIntoTheBytesItIsGiven() {
        var out = Array("[".utf8)
        JSONObjectWriter.write(into: &out) { $0.add("k", 1) }
        out.append(UInt8(ascii: "]"))
        #expect(out == Array(#"[{"k":1}]"#.utf8))
    }
}
