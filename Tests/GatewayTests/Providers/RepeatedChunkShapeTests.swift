import Testing

@testable import Gateway

/// A stream's text chunks are read from the shape of one read in full; everything the shape does not
/// vouch for is read in full again, with the same result.
@Suite struct RepeatedChunkShapeTests {
    private static func chunk(_ content: String, id: String = "chatcmpl-1", tail: String = "") -> String {
        #"{"id":"\#(id)","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"#
            + #""delta":{"content":\#(content)},"logprobs":null,"finish_reason":null}]\#(tail)}"#
    }

    /// The shape learnt from `learnt`, asked for the text of `other`.
    private func text(learnt: String, other: String) throws -> String? {
        let learnt = Array(learnt.utf8)
        var answer = OpenAIAnswer()
        try learnt.withUnsafeBufferPointer { try answer.read($0, choiceField: "delta") }
        let range = try #require(answer.textOnlyChunkRange)
        var shape = RepeatedChunkShape()
        learnt.withUnsafeBufferPointer { shape.learn($0, holes: [range], text: 0) }
        return Array(other.utf8).withUnsafeBufferPointer { shape.text(of: $0) }
    }

    @Test func aChunkOfTheLearntShapeIsReadFromItsText() throws {
        let learnt = Self.chunk(#""Hello""#)
        #expect(try text(learnt: learnt, other: Self.chunk(#"" world, it is 10°C""#)) == " world, it is 10°C")
        #expect(try text(learnt: learnt, other: Self.chunk(#""""#)) == "")
        #expect(try text(learnt: learnt, other: learnt) == "Hello")
    }

    @Test(arguments: [
        chunk(#""x""#, id: "chatcmpl-2"),  // another prefix
        chunk(#""x""#, tail: #","obfuscation":"ab""#),  // another suffix
        chunk(#""line\nbreak""#),  // an escape: read in full
        chunk(#""say \"hi\"""#),
        chunk("\"tab\u{09}\""),  // a raw control byte: invalid JSON, the full read refuses it
        chunk(#""a"b""#),  // a bare quote in the middle: not a string, nor JSON
        chunk("null"),
        #"{"id":"chatcmpl-1"}"#,
        "",
    ])
    func anythingElseIsNotReadFromTheShape(other: String) throws {
        #expect(try text(learnt: Self.chunk(#""Hello""#), other: other) == nil)
    }

    @Test func onlyTextChunksHaveAShape() throws {
        for other in [
            Self.chunk(#""x""#).replacingOccurrences(of: #""finish_reason":null"#, with: #""finish_reason":"stop""#),
            Self.chunk(#""x""#, tail: #","usage":{"prompt_tokens":1,"completion_tokens":2}"#),
            Self.chunk(#""x","reasoning_content":"hm""#),
            Self.chunk(#""x","tool_calls":[]"#),
            Self.chunk("null"),
        ] {
            var answer = OpenAIAnswer()
            try Array(other.utf8).withUnsafeBufferPointer { try answer.read($0, choiceField: "delta") }
            #expect(answer.textOnlyChunkRange == nil, "\(other)")
        }
    }

    /// The translator with shapes and without give the same events, chunk after chunk, for a stream that
    /// changes shape, escapes, fails to parse and finishes.
    @Test func theTranslatorGivesTheSameEventsWithAndWithoutShapes() throws {
        let events = [
            #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"#
                + #""delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}"#,
            Self.chunk(#""Hel""#), Self.chunk(#""lo""#), Self.chunk(#"" \u00e9\n""#), Self.chunk(#""""#),
            Self.chunk(#""日本語""#), Self.chunk(#""x""#, id: "other"), Self.chunk(#""y""#),
            Self.chunk(#""z""#, tail: #","usage":null"#), Self.chunk(#""again""#),
            Self.chunk("\"bad\u{01}\""),
        ]
        var shaped = OpenAIStreamTranslator(provider: "o")
        var full = OpenAIStreamTranslator(provider: "o", learnsShapes: false)
        for event in events {
            let bytes = Array("data: \(event)\n\n".utf8)
            let expected = Result { try full.feed(bytes) }
            let got = Result { try shaped.feed(bytes) }
            switch (expected, got) {
            case (.success(let expected), .success(let got)): #expect(got == expected, "\(event)")
            case (.failure, .failure): break
            default: Issue.record("\(event): \(expected) read in full, \(got) from the shape")
            }
        }
        #expect(shaped.chunksReadFromShape == 4)  // lo, the empty text, 日本語, again
    }

    /// Ollama's lines change their `created_at` as well: a second hole, read past and not kept.
    @Test func ollamaLinesAreReadFromTheirShapeWhateverTheirTime() throws {
        func line(_ content: String, at time: String = #""2025-01-01T00:00:00.1234Z""#, done: String = "false")
            -> String
        {
            #"{"model":"m","created_at":\#(time),"message":{"role":"assistant","content":\#(content)},"done":\#(done)}"#
                + "\n"
        }
        let lines = [
            line(#""Hel""#), line(#""lo""#, at: #""2025-01-01T00:00:00.5Z""#), line(#""""#), line(#""a\tb""#),
            #"{"created_at":"t","model":"m","message":{"role":"assistant","content":"first"},"done":false}"# + "\n",
            #"{"created_at":"u","model":"m","message":{"role":"assistant","content":"second"},"done":false}"# + "\n",
            line(#""z""#), line(#""y""#, at: "null"), line(#""x""#, at: #""\u0032025""#),
            line(#""""#, done: #"true,"done_reason":"stop","prompt_eval_count":3,"eval_count":4"#),
        ]
        var shaped = OllamaStreamTranslator(provider: "l")
        var full = OllamaStreamTranslator(provider: "l", learnsShapes: false)
        for line in lines {
            let bytes = Array(line.utf8)
            #expect(try shaped.feed(bytes) == full.feed(bytes), "\(line)")
        }
        #expect(try shaped.finish() == full.finish())
        #expect(shaped.linesReadFromShape == 3)  // lo, the empty text, second
    }

    /// Anthropic's text deltas: the same events with and without shapes, whatever else the stream carries.
    @Test func anthropicTextDeltasAreReadFromTheirShape() throws {
        func delta(_ text: String, index: Int = 0) -> String {
            "event: content_block_delta\ndata: "
                + #"{"type":"content_block_delta","index":\#(index),"delta":{"type":"text_delta","text":\#(text)}}"#
                + "\n\n"
        }
        let events = [
            "event: message_start\ndata: "
                + #"{"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":5,"output_tokens":1}}}"#
                + "\n\n",
            "event: content_block_start\ndata: "
                + #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"# + "\n\n",
            delta(#""Hel""#), delta(#""lo""#), delta(#""\n""#), delta(#""""#), delta(#""x""#, index: 1),
            "event: ping\ndata: {\"type\": \"ping\"}\n\n",
            "event: content_block_delta\ndata: "
                + #"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hm"}}"#
                + "\n\n",
            "event: content_block_delta\ndata: "
                + #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a","text":"b"}}"#
                + "\n\n",
            delta(#""again""#), delta(#"" and again""#),
            "event: message_delta\ndata: "
                + #"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":7}}"#
                + "\n\n",
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
        ]
        for jsonOutput in [false, true] {
            var shaped = AnthropicStreamTranslator(provider: "a", jsonOutput: jsonOutput)
            var full = AnthropicStreamTranslator(provider: "a", jsonOutput: jsonOutput, learnsShapes: false)
            for event in events {
                let bytes = Array(event.utf8)
                #expect(try shaped.feed(bytes) == full.feed(bytes), "\(event)")
            }
            #expect(try shaped.finish() == full.finish())
            #expect(shaped.eventsReadFromShape == 3)  // lo, the empty text, and again
        }
    }
}
