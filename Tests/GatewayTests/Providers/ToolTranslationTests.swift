import Testing

@testable import Gateway

/// Tool calls and JSON output in each provider's wire format, both ways, apart from any network.
@Suite struct ToolTranslationTests {
    /// Feeds `wire` to `translator` cut into pieces of `step` bytes (splitting lines and UTF-8 characters).
    static func events<T: StreamTranslator>(_ translator: T, _ wire: String, step: Int) throws -> [ProviderEvent] {
        var translator = translator
        let bytes = Array(wire.utf8)
        var events: [ProviderEvent] = []
        for start in stride(from: 0, to: bytes.count, by: step) {
            events += try translator.feed(Array(bytes[start..<min(start + step, bytes.count)]))
        }
        return events + (try translator.finish())
    }

    /// The calls the pieces make, joined by index.
    static func assembled(_ events: [ProviderEvent]) -> [ToolCall] {
        var calls: [Int: ToolCall] = [:]
        for case .toolCall(let piece) in events {
            var call = calls[piece.index] ?? ToolCall(id: piece.id, name: piece.name, arguments: "")
            call.arguments += piece.arguments
            calls[piece.index] = call
        }
        return calls.keys.sorted().map { calls[$0]! }
    }

    static let openAIWire = """
        data: {"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"weather","arguments":""}}]},"finish_reason":null}]}

        data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"city\\": \\"Zür"}}]},"finish_reason":null}]}

        data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"time","arguments":"{}"}}]},"finish_reason":null}]}

        data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ich\\"}"}}]},"finish_reason":null}]}

        data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}

        data: [DONE]


        """

    @Test(arguments: [1, 2, 7, 64, 4096])
    func openAIParallelCallsAssembleByIndexHoweverTheStreamIsCut(step: Int) throws {
        let events = try Self.events(OpenAIStreamTranslator(provider: "p"), Self.openAIWire, step: step)
        #expect(
            Self.assembled(events) == [
                ToolCall(id: "call_a", name: "weather", arguments: "{\"city\": \"Zürich\"}"),
                ToolCall(id: "call_b", name: "time", arguments: "{}"),
            ])
        #expect(events.last == .finish(.toolUse))
    }

    static let anthropicWire = """
        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Checking."}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: content_block_start
        data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"weather","input":{}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"city\\":"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" \\"Oslo\\"}"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":1}

        event: content_block_start
        data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_2","name":"now","input":{}}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":2}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}

        event: message_stop
        data: {"type":"message_stop"}


        """

    @Test(arguments: [3, 4096])
    func anthropicToolUseBlocksBecomeCallsNumberedFromZero(step: Int) throws {
        let events = try Self.events(AnthropicStreamTranslator(provider: "p"), Self.anthropicWire, step: step)
        #expect(events.contains(.delta("Checking.")))
        #expect(
            Self.assembled(events) == [
                ToolCall(id: "toolu_1", name: "weather", arguments: "{\"city\": \"Oslo\"}"),
                ToolCall(id: "toolu_2", name: "now", arguments: "{}"),
            ], "a tool with no input pieces has {} as its arguments")
        #expect(events.contains(.finish(.toolUse)))
    }

    @Test func anthropicJSONOutputIsTheForcedToolsInputAsText() throws {
        let events = try Self.events(
            AnthropicStreamTranslator(provider: "p", jsonOutput: true), Self.anthropicWire, step: 4096)
        #expect(Self.assembled(events).isEmpty)
        let text = events.compactMap { if case .delta(let piece) = $0 { piece } else { nil } }.joined()
        #expect(text == "Checking.{\"city\": \"Oslo\"}{}")
        #expect(events.contains(.finish(.stop)), "the forced tool is the answer, not a tool call")
    }

    @Test func ollamaCallsArriveWholeAndGetNumberedIDs() throws {
        let wire = """
            {"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"weather","arguments":{"city":"Rome"}}}]},"done":false}
            {"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"time","arguments":{}}}]},"done":false}
            {"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":3,"eval_count":4}

            """
        let events = try Self.events(OllamaStreamTranslator(provider: "p"), wire, step: 5)
        #expect(
            Self.assembled(events) == [
                ToolCall(id: "call-1", name: "weather", arguments: "{\"city\":\"Rome\"}"),
                ToolCall(id: "call-2", name: "time", arguments: "{}"),
            ])
        #expect(events.last == .finish(.toolUse))
    }

    // MARK: requests

    static let weather = Tool(name: "weather", parameters: ["type": "object"])

    @Test func anthropicMergesToolTurnsAndMapsToolChoice() throws {
        let request = GenerateRequest(
            model: "m",
            messages: [
                ChatMessage(role: "user", content: "hi"),
                ChatMessage(
                    role: "assistant",
                    toolCalls: [
                        ToolCall(id: "a", name: "weather", arguments: "{\"city\":\"Rome\"}"),
                        ToolCall(id: "b", name: "weather", arguments: "{}"),
                    ]),
                ChatMessage(role: "tool", content: "sun", toolCallID: "a"),
                ChatMessage(role: "tool", content: "rain", toolCallID: "b"),
            ], tools: [Self.weather], toolChoice: ToolChoice(.required))
        var json = JSONObject()
        try AnthropicMessagesFormat.add(request, to: &json)
        let messages = try #require(json["messages"]?.arrayValue)
        #expect(messages.count == 3, "the two tool results are one user turn")
        #expect(messages[2]["content"]?.arrayValue?.map { $0["tool_use_id"]?.stringValue } == ["a", "b"])
        #expect(messages[1]["content"]?.arrayValue?[0]["input"] == ["city": "Rome"])
        #expect(json["tool_choice"] == ["type": "any"])
        var withJSON = request
        withJSON.responseFormat = ResponseFormat(.jsonObject)
        var ignored = JSONObject()
        #expect(throws: GatewayError.self) { try AnthropicMessagesFormat.add(withJSON, to: &ignored) }
    }

    @Test func openAIRequestsCarryToolsChoiceFormatAndImages() throws {
        var json = JSONObject()
        let request = GenerateRequest(
            model: "m", tools: [Self.weather], toolChoice: ToolChoice(.tool, name: "weather"),
            responseFormat: ResponseFormat(.jsonSchema, schema: ["type": "object"], name: "r", strict: true))
        OpenAIChatFormat.addTooling(request, to: &json)
        #expect(json["tool_choice"] == ["type": "function", "function": ["name": "weather"]])
        #expect(json["response_format"]?["json_schema"]?["strict"] == true)
        let image = ChatMessage(
            role: "user", parts: [.text("see"), .image(Image(mediaType: "image/png", data: [1, 2, 3]))])
        var message = JSONObject()
        OpenAIChatFormat.message(image, into: &message)
        #expect(message["content"]?.arrayValue?[1]["image_url"]?["url"] == "data:image/png;base64,AQID")
        // Written straight into bytes, the same members read the same.
        var written: [UInt8] = []
        JSONObjectWriter.write(into: &written) { OpenAIChatFormat.message(image, into: &$0) }
        #expect(try JSONParser.parse(written) == .object(message))
    }
}

/// The checks of contract §7 that answer 422 naming the field.
@Suite struct ToolValidationTests {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]

    func refusal(_ request: GenerateRequest, maxImageBytes: Int = 1024) -> String? {
        var request = request
        do {
            try RequestValidation.validate(&request, maxImageBytes: maxImageBytes)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func toolsChoiceAndFormat() {
        let tool = Tool(name: "f")
        #expect(refusal(GenerateRequest(model: "m", prompt: "p", tools: [tool])) == nil)
        #expect(
            refusal(GenerateRequest(model: "m", prompt: "p", tools: [Tool(name: "f", parameters: ["type": "array"])]))?
                .hasPrefix("tools[0].parameters:") == true)
        #expect(
            refusal(GenerateRequest(model: "m", prompt: "p", tools: [tool, tool]))?.hasPrefix("tools[1].name") == true)
        #expect(
            refusal(GenerateRequest(model: "m", prompt: "p", tools: [tool], toolChoice: ToolChoice(.tool, name: "g")))?
                .hasPrefix("tool_choice.name") == true)
        #expect(
            refusal(GenerateRequest(model: "m", prompt: "p", responseFormat: ResponseFormat(.jsonSchema)))?
                .hasPrefix("response_format.schema") == true)
    }

    @Test func toolTurns() {
        #expect(
            refusal(GenerateRequest(model: "m", messages: [ChatMessage(role: "tool", content: "x")]))?
                .hasPrefix("messages[0].tool_call_id") == true)
        let call = ToolCall(id: "c", name: "f", arguments: "not json")
        #expect(
            refusal(GenerateRequest(model: "m", messages: [ChatMessage(role: "assistant", toolCalls: [call])]))?
                .hasPrefix("messages[0].tool_calls[0].arguments") == true)
        #expect(
            refusal(GenerateRequest(model: "m", messages: [ChatMessage(role: "user", toolCalls: [call])]))?
                .hasPrefix("messages[0].tool_calls") == true)
    }

    @Test func imagesBySniffedTypeAndSize() throws {
        func message(_ image: Image) -> GenerateRequest {
            GenerateRequest(model: "m", messages: [ChatMessage(role: "user", parts: [.image(image)])])
        }
        var request = message(Image(data: Self.png))
        try RequestValidation.validate(&request, maxImageBytes: 1024)
        #expect(request.messages[0].images[0].mediaType == "image/png", "the media type is read off the bytes")
        #expect(refusal(message(Image(data: Array("hello".utf8))))?.contains("not a png, jpeg, webp or gif") == true)
        #expect(refusal(message(Image(data: Self.png + [UInt8](repeating: 0, count: 2000))))?.contains("limit") == true)
        #expect(refusal(message(Image(mediaType: "image/gif", data: Self.png)))?.contains("media_type") == true)
        var fromURL = message(Image(url: "data:image/png;base64," + Base64.encode(Self.png)))
        try RequestValidation.validate(&fromURL, maxImageBytes: 1024)
        #expect(fromURL.messages[0].images[0] == Image(mediaType: "image/png", data: Self.png))
        #expect(refusal(message(Image(url: "http://insecure/x.png")))?.contains("data: or https:") == true)
    }

    @Test func base64KnownAnswers() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE="]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded.utf8) == Array(plain.utf8))
        }
        #expect(Base64.decode("Zg".utf8) == Array("f".utf8), "padding may be left out")
        for bad in ["Z", "Zm9v!", "Zg==Zg==", "Zh=="] { #expect(Base64.decode(bad.utf8) == nil, "\(bad)") }
    }
}
