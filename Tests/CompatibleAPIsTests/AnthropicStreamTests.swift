import Testing

@testable import CompatibleAPIs
@testable import Gateway

/// The Anthropic event sequence built from the gateway's chunks: blocks opened, fed and stopped in order.
@Suite struct AnthropicStreamTests {
    static func names(_ bytes: [UInt8]) -> [String] {
        String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap {
            $0.hasPrefix("event: ") ? String($0.dropFirst(7)) : nil
        }
    }

    @Test func textThenTwoToolCallsMakeThreeBlocks() {
        var stream = AnthropicMessagesStream()
        stream.start(id: "msg_1", model: "m")
        var text = GenerateChunk(id: "g", model: "m", provider: "p", content: "Hi")
        stream.relay(text)
        text.content = " there"
        stream.relay(text)
        var call = GenerateChunk(id: "g", model: "m", provider: "p", content: "")
        call.toolCalls = [ToolCallDelta(index: 0, id: "a", name: "f"), ToolCallDelta(index: 0, arguments: "{}")]
        stream.relay(call)
        call.toolCalls = [ToolCallDelta(index: 1, id: "b", name: "g", arguments: "{\"x\":1}")]
        stream.relay(call)
        var last = GenerateChunk(id: "g", model: "m", provider: "p", content: "", done: true, finishReason: .toolUse)
        last.tokensOutput = 3
        stream.relay(last)
        let out = stream.take()
        #expect(
            Self.names(out) == [
                "message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta",
                "content_block_stop", "content_block_start", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop",
            ])
        let text_ = String(decoding: out, as: UTF8.self)
        #expect(text_.contains("\"stop_reason\":\"tool_use\""))
        #expect(text_.contains("\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"b\""))
    }

    @Test(arguments: ["plain", "quote \" and \\ and\nnewline", "ünïcødé 😀"])
    func textDeltasFromTheTemplateAreTheTreesBytes(text: String) {
        var stream = AnthropicMessagesStream()
        stream.relay(GenerateChunk(id: "g", model: "m", provider: "p", content: "first"))
        _ = stream.take()
        stream.relay(GenerateChunk(id: "g", model: "m", provider: "p", content: text))
        var expected: [UInt8] = []
        CompatibleEndpoint.event(
            AnthropicMessagesStream.textDelta(index: 0, .string(text)), name: "content_block_delta", into: &expected)
        #expect(String(decoding: stream.take(), as: UTF8.self) == String(decoding: expected, as: UTF8.self))
    }

    /// Text given as text makes the events a whole text chunk makes.
    @Test func textIsWrittenAsAWholeTextChunkWouldBe() {
        var pieces = AnthropicMessagesStream()
        var wholes = AnthropicMessagesStream()
        for text in ["Hi", "", "quote \" and \\", "ünïcødé 😀"] {
            pieces.text(text)
            wholes.relay(GenerateChunk(id: "g", model: "m", provider: "p", content: text))
        }
        let text = String(decoding: pieces.take(), as: UTF8.self)
        #expect(text == String(decoding: wholes.take(), as: UTF8.self))
        #expect(
            Self.names(Array(text.utf8)) == ["content_block_start"] + Array(repeating: "content_block_delta", count: 3))
    }
}
