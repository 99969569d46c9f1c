import Testing

@testable import Gateway

/// Streams as providers send them (from their documentation), with multi-byte text to split.
enum RecordedStreams {
    static let anthropic = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-20250514","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: ping
        data: {"type": "ping"}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Héllo ☕"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" wörld 😀"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}

        event: message_stop
        data: {"type":"message_stop"}


        """

    static let openAI = """
        : keep-alive

        data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}

        data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"日本"},"finish_reason":null}]}

        data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"語 ok"},"finish_reason":"length"}]}

        data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}

        data: [DONE]


        """

    static let ollama = """
        {"model":"gemma3:4b","created_at":"2026-11-27T10:00:00Z","response":"Zürich","done":false}
        {"model":"gemma3:4b","created_at":"2026-11-27T10:00:00Z","response":" ☃","done":false}

        {"model":"gemma3:4b","created_at":"2026-11-27T10:00:00Z","response":"","done":true,"done_reason":"stop","prompt_eval_count":26,"eval_count":2}

        """
}

private func feedSplit<T: StreamTranslator>(_ text: String, at offsets: [Int], _ make: () -> T) throws
    -> [ProviderEvent]
{
    var translator = make()
    let bytes = Array(text.utf8)
    var events: [ProviderEvent] = []
    var start = 0
    for offset in offsets + [bytes.count] where offset >= start {
        events += try translator.feed(Array(bytes[start..<offset]))
        start = offset
    }
    return events + (try translator.finish())
}

@Suite struct StreamTranslatorTests {
    @Test func anthropicStreamIsTheSameSplitAtEveryOffset() throws {
        let whole = try feedSplit(RecordedStreams.anthropic, at: []) { AnthropicStreamTranslator(provider: "a") }
        #expect(
            whole == [
                .usage(input: 25, output: nil, cachedInput: 0), .breakdown(reasoning: nil, cacheWrite: 0),
                .delta("Héllo ☕"), .delta(" wörld 😀"), .usage(input: nil, output: 15, cachedInput: nil),
                .stopDetails(StopDetails(providerReason: "end_turn")), .finish(.stop),
            ])
        for offset in 0...RecordedStreams.anthropic.utf8.count {
            #expect(
                try feedSplit(RecordedStreams.anthropic, at: [offset]) { AnthropicStreamTranslator(provider: "a") }
                    == whole)
        }
        let everyByte = Array(0...RecordedStreams.anthropic.utf8.count)
        #expect(
            try feedSplit(RecordedStreams.anthropic, at: everyByte) { AnthropicStreamTranslator(provider: "a") }
                == whole)
    }

    @Test func openAIStreamIsTheSameSplitAtEveryOffset() throws {
        let whole = try feedSplit(RecordedStreams.openAI, at: []) { OpenAIStreamTranslator(provider: "o") }
        #expect(
            whole == [
                .delta("日本"), .delta("語 ok"), .stopDetails(StopDetails(providerReason: "length")), .finish(.length),
                .usage(input: 9, output: 2, cachedInput: nil),
            ])
        for offset in 0...RecordedStreams.openAI.utf8.count {
            #expect(
                try feedSplit(RecordedStreams.openAI, at: [offset]) { OpenAIStreamTranslator(provider: "o") } == whole)
        }
    }

    @Test func ollamaStreamIsTheSameSplitAtEveryOffset() throws {
        let whole = try feedSplit(RecordedStreams.ollama, at: []) { OllamaStreamTranslator(provider: "l") }
        #expect(
            whole == [
                .delta("Zürich"), .delta(" ☃"), .usage(input: 26, output: 2, cachedInput: nil),
                .stopDetails(StopDetails(providerReason: "stop")), .finish(.stop),
            ])
        for offset in 0...RecordedStreams.ollama.utf8.count {
            #expect(
                try feedSplit(RecordedStreams.ollama, at: [offset]) { OllamaStreamTranslator(provider: "l") } == whole)
        }
    }

    @Test func streamsCutBeforeTheirEndAreErrors() {
        let cutAnthropic = String(RecordedStreams.anthropic.prefix(600))
        #expect(throws: GatewayError.self) {
            try feedSplit(cutAnthropic, at: []) { AnthropicStreamTranslator(provider: "a") }
        }
        let cutOllama = String(RecordedStreams.ollama.split(separator: "\n")[0]) + "\n"
        #expect(throws: GatewayError.self) {
            try feedSplit(cutOllama, at: []) { OllamaStreamTranslator(provider: "l") }
        }
        let cutOpenAI = String(RecordedStreams.openAI.split(separator: "\n\n")[1]) + "\n\n"
        #expect(throws: GatewayError.self) {
            try feedSplit(cutOpenAI, at: []) { OpenAIStreamTranslator(provider: "o") }
        }
    }

    @Test func errorEventsMidStreamAreProviderErrors() {
        let overloaded =
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"
        #expect(throws: GatewayError(.providerError, "provider a failed mid-stream: overloaded_error: Overloaded")) {
            try feedSplit(overloaded, at: []) { AnthropicStreamTranslator(provider: "a") }
        }
        #expect(throws: GatewayError.self) {
            try feedSplit("{\"error\":\"model crashed\"}\n", at: []) { OllamaStreamTranslator(provider: "l") }
        }
    }
}

@Suite struct SSEDecoderTests {
    private func decode(_ text: String, every step: Int? = nil) -> [SSEEvent] {
        var decoder = SSEDecoder()
        let bytes = Array(text.utf8)
        let size = step ?? max(1, bytes.count)
        return stride(from: 0, to: bytes.count, by: size).flatMap {
            (try? decoder.feed(bytes[$0..<min($0 + size, bytes.count)])) ?? []
        }
    }

    /// Events handed out in place, from the input (the common shape) or from the decoder's own buffer
    /// (everything else), carry what the decoded events carry; what the visitor throws ends the decoding.
    @Test func eventsVisitedInPlaceAreTheDecodedEvents() throws {
        struct Stop: Error {}
        let text = "data: {\"a\":1}\n\nevent: x\ndata: b\ndata: c\nid: 7\n\n: comment\ndata:d\n\ndata: e\n\n"
        var decoder = SSEDecoder()
        var seen: [SSEEvent] = []
        #expect(throws: Stop.self) {
            try decoder.decode(Array(text.utf8)) { event in
                seen.append(SSEEvent(event))
                if seen.count == 3 { throw Stop() }
            }
        }
        #expect(seen == Array(decode(text).prefix(3)))
        #expect(seen.map(\.data) == [#"{"a":1}"#, "b\nc", "d"])
        #expect(seen.map(\.event) == ["message", "x", "message"])
        #expect(seen.map(\.id) == [nil, "7", "7"])
    }

    /// An upstream that never sends a line break grew memory until its timeout.
    @Test func anEventLargerThanTheLimitIsAnError() throws {
        var decoder = SSEDecoder(maxEventBytes: 1024)
        #expect(try decoder.feed(Array("data: \(String(repeating: "x", count: 1000))\n\n".utf8)).count == 1)
        #expect(throws: StreamLimitExceeded(limit: 1024)) {
            for _ in 0..<100 { _ = try decoder.feed(Array(repeating: UInt8(ascii: "y"), count: 100)) }
        }
        // Many short data lines add up to one event too.
        var lines = SSEDecoder(maxEventBytes: 1024)
        #expect(throws: StreamLimitExceeded(limit: 1024)) {
            for _ in 0..<200 { _ = try lines.feed(Array("data: 0123456789\n".utf8)) }
        }
    }

    @Test func handlesLFCRLFAndCRLineEndsAlike() {
        let expected = [SSEEvent(event: "a", data: "1"), SSEEvent(data: "2")]
        #expect(decode("event: a\ndata: 1\n\ndata: 2\n\n") == expected)
        #expect(decode("event: a\r\ndata: 1\r\n\r\ndata: 2\r\n\r\n") == expected)
        #expect(decode("event: a\rdata: 1\r\rdata: 2\r\r") == expected)
        #expect(decode("event: a\r\ndata: 1\r\n\r\ndata: 2\r\n\r\n", every: 1) == expected)
    }

    /// Event types are kept between events only when repeated: each event carries its own or "message".
    @Test func eventTypesRepeatedOrChangedAreEachEventsOwn() {
        let long = "content_block_delta_named_past_fifteen_bytes"
        let text =
            "event: \(long)\ndata: 1\n\nevent: \(long)\ndata: 2\n\nevent: b\ndata: 3\n\ndata: 4\n\n"
            + "event: \(long)\ndata: 5\n\nevent:\ndata: 6\n\n"
        let expected = [
            SSEEvent(event: long, data: "1"), SSEEvent(event: long, data: "2"), SSEEvent(event: "b", data: "3"),
            SSEEvent(data: "4"), SSEEvent(event: long, data: "5"), SSEEvent(data: "6"),
        ]
        #expect(decode(text) == expected)
        #expect(decode(text, every: 1) == expected)
    }

    @Test func joinsMultiLineDataAndSkipsComments() {
        #expect(decode(": hi\ndata: one\n: between\ndata:two\ndata\n\n") == [SSEEvent(data: "one\ntwo\n")])
    }

    @Test func ignoresEventsWithoutDataAndKeepsTheLastID() {
        #expect(
            decode("event: nothing\n\nid: 7\ndata: x\n\ndata: y\n\n") == [
                SSEEvent(data: "x", id: "7"), SSEEvent(data: "y", id: "7"),
            ])
    }

    @Test func dropsALeadingByteOrderMarkAndAnUnfinishedEvent() {
        #expect(decode("\u{FEFF}data: a\n\ndata: never finished") == [SSEEvent(data: "a")])
        #expect(decode("\u{FEFF}data: a\n\n", every: 1) == [SSEEvent(data: "a")])
    }

    /// A `data:` line and its blank line whole in one buffer take a shorter path; mixed with every other
    /// shape, at every split, the events are the same.
    @Test func wholeDataEventsMixWithEveryOtherShape() {
        let text =
            "data: a\n\nevent: x\ndata: b\n\ndata:c\n\ndata:  d\n\nid: 7\ndata: e\n\n: c\ndata: f\r\n\r\n"
            + "data: g\ndata: h\n\ndata\n\ndata: i\n\n"
        let expected = [
            SSEEvent(data: "a"), SSEEvent(event: "x", data: "b"), SSEEvent(data: "c"), SSEEvent(data: " d"),
            SSEEvent(data: "e", id: "7"), SSEEvent(data: "f", id: "7"), SSEEvent(data: "g\nh", id: "7"),
            SSEEvent(data: "", id: "7"), SSEEvent(data: "i", id: "7"),
        ]
        #expect(decode(text) == expected)
        for every in 1...7 { #expect(decode(text, every: every) == expected) }
    }

    @Test func keepsMultiByteCharactersSplitAcrossChunks() {
        #expect(decode("data: 😀é☕\n\n", every: 1) == [SSEEvent(data: "😀é☕")])
    }
}

@Suite struct NDJSONDecoderTests {
    /// Lines visited in place — whole in one input, or begun in an earlier one — are the lines, without CR
    /// and without blank ones, at every split; what the visitor throws ends the decoding.
    @Test func linesVisitedInPlaceAreTheLinesAtEverySplit() throws {
        let text = Array("{\"a\":1}\n\r\n  \n{\"b\":\"é\"}\r\n{\"c\":3}\n{\"d\"".utf8)
        for split in 1...text.count {
            var decoder = NDJSONDecoder()
            var lines: [String] = []
            for start in stride(from: 0, to: text.count, by: split) {
                try decoder.decode(Array(text[start..<min(start + split, text.count)])) {
                    lines.append(String(decoding: $0, as: UTF8.self))
                }
            }
            #expect(lines == [#"{"a":1}"#, #"{"b":"é"}"#, #"{"c":3}"#], "split \(split)")
            #expect(decoder.finishLine() == Array(#"{"d""#.utf8))
        }
        struct Stop: Error {}
        var decoder = NDJSONDecoder()
        var seen = 0
        #expect(throws: Stop.self) {
            try decoder.decode(Array("1\n2\n3\n".utf8)) { _ in
                seen += 1
                if seen == 2 { throw Stop() }
            }
        }
        #expect(seen == 2)
    }

    @Test func splitsLinesAnywhereAndSkipsBlankOnes() throws {
        var decoder = NDJSONDecoder()
        var values: [JSON] = []
        for byte in Array("{\"a\":\"é\"}\r\n\n  \n{\"b\":2}".utf8) { values += try decoder.feed([byte]) }
        if let last = try decoder.finish() { values.append(last) }
        #expect(values == [["a": "é"], ["b": 2]])
    }

    @Test func aLineLongerThanTheLimitIsAnError() throws {
        var decoder = NDJSONDecoder(maxLineBytes: 1024)
        #expect(try decoder.feed(Array("{\"a\":1}\n".utf8)).count == 1)
        #expect(throws: StreamLimitExceeded.self) {
            for _ in 0..<20 { _ = try decoder.feed(Array(repeating: UInt8(ascii: " "), count: 100)) }
        }
    }

    @Test func reportsMalformedLines() {
        var decoder = NDJSONDecoder()
        #expect(throws: JSONParseError.self) { try decoder.feed(Array("{\"a\":\n".utf8)) }
    }
}
