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

    @Test func integersWriteExactlyAtAnySize() {
        for value in [0, 7, -7, 10, 999, 1_000_000, Int.max, Int.min] {
            var writer = JSONObjectWriter()
            writer.add("n", value)
            #expect(String(decoding: writer.finish(), as: UTF8.self) == "{\"n\":\(value)}")
        }
    }

    @Test(arguments: [
        (0.4861, "0.486"), (12.0, "12"), (3.05, "3.05"), (1.0049, "1.005"), (7.9999, "8"), (0.0041, "0.004"),
        (0.07, "0.07"), (250.5, "250.5"), (0, "0"), (-0.0001, "0"), (-2.25, "-2.25"), (1e13, "10000000000000"),
        (.infinity, "null"),
    ])
    func measurementsWriteToTheThousandth(value: Double, written: String) throws {
        var writer = JSONObjectWriter()
        writer.add("latency_ms", thousandths: value)
        let bytes = writer.finish()
        #expect(String(decoding: bytes, as: UTF8.self) == "{\"latency_ms\":\(written)}")
        if value.isFinite {  // what a client reads is the value to the thousandth
            let read = try #require(JSONParser.parse(bytes)["latency_ms"]?.doubleValue)
            #expect(abs(read - value) <= 0.0005 + 1e-12)
        }
    }

    @Test func anEmptyObjectAndMembersAddedThroughTheSinkProtocol() {
        var empty = JSONObjectWriter()
        #expect(empty.finish() == Array("{}".utf8))
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
