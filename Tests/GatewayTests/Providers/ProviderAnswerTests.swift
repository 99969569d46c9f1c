import Testing

@testable import Gateway

/// Each provider's whole answers (a completion, embeddings, model lists) read apart from any network.
@Suite struct ProviderAnswerTests {
    static func json(_ text: String) throws -> JSON { try JSONParser.parse(Array(text.utf8)) }

    static func openAI(_ text: String) throws(GatewayError) -> ProviderCompletion {
        try OpenAIAnswer.completion(Array(text.utf8), provider: "p")
    }

    @Test func openAICompletionWithUsageReasoningAndStop() throws {
        let answer = try Self.openAI(
            """
            {"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"Hi","reasoning_content":"hm"},
             "finish_reason":"stop","stop_reason":"END"}],
             "usage":{"prompt_tokens":7,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":4},
             "completion_tokens_details":{"reasoning_tokens":1}}}
            """)
        #expect(answer.content == "Hi")
        #expect((answer.tokensInput, answer.tokensOutput, answer.cachedInput) == (7, 2, 4))
        #expect(answer.reasoning == [ReasoningPart(text: "hm")])
        #expect(answer.reasoningTokens == 1)
        #expect(answer.finishReason == .stop)
        #expect(answer.stop == StopDetails(sequence: "END", providerReason: "stop"))
    }

    /// OpenAI sends arguments as a string of JSON; some compatible servers send the object itself, which
    /// must arrive as its JSON text rather than be dropped.
    @Test func openAIToolCallArgumentsAsStringObjectNullOrNone() throws {
        let answer = try Self.openAI(
            """
            {"choices":[{"message":{"content":null,"tool_calls":[
              {"id":"a","type":"function","function":{"name":"f","arguments":"{\\"x\\": 1}"}},
              {"id":"b","type":"function","function":{"name":"g","arguments":{"y":[true]}}},
              {"id":"c","type":"function","function":{"name":"h","arguments":null}},
              {"type":"function","function":{"name":"i"}}]},"finish_reason":"tool_calls"}]}
            """)
        #expect(
            answer.toolCalls == [
                ToolCall(id: "a", name: "f", arguments: "{\"x\": 1}"),
                ToolCall(id: "b", name: "g", arguments: "{\"y\":[true]}"),
                ToolCall(id: "c", name: "h", arguments: "{}"),
                ToolCall(id: "call-4", name: "i", arguments: "{}"),
            ])
        #expect(answer.finishReason == .toolUse)
        #expect(answer.content == "")
    }

    @Test func openAIStreamedArgumentsAsAnObjectAreItsText() throws {
        let wire = """
            data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":{"k":"v"}}}]}}]}

            data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}

            data: [DONE]


            """
        let events = try ToolTranslationTests.events(OpenAIStreamTranslator(provider: "p"), wire, step: 4096)
        #expect(ToolTranslationTests.assembled(events) == [ToolCall(id: "a", name: "f", arguments: "{\"k\":\"v\"}")])
    }

    @Test func openAICountsOutOfRangeAreClampedNotTrusted() throws {
        let answer = try Self.openAI(
            #"{"choices":[{"text":"t"}],"usage":{"prompt_tokens":-5,"completion_tokens":1e300}}"#)
        #expect(answer.content == "t", "a completions-API choice carries `text`")
        #expect(answer.tokensInput == 0)
        #expect(answer.tokensOutput == JSON.largestCount)
    }

    @Test func openAIMalformedOrChoicelessAnswersAreProviderErrors() {
        for body in [#"{"choices":[{"message":{"content":"a"}}]"#, "", #"{"choices":[]}"#, #"{"object":"list"}"#] {
            #expect(throws: GatewayError.self, "\(body)") { try Self.openAI(body) }
            do {
                _ = try Self.openAI(body)
            } catch {
                #expect(error.kind == .providerError)
                #expect(error.message.hasPrefix("provider p "), "\(error.message)")
            }
        }
    }

    @Test func openAIEmbeddingsInIndexOrderAndTheirCount() throws {
        let answer = try Self.json(
            #"{"data":[{"index":1,"embedding":[3,4]},{"index":0,"embedding":[1,2]}],"usage":{"prompt_tokens":6}}"#)
        #expect(
            try OpenAIAnswer.embedding(answer, inputs: 2, provider: "p")
                == ProviderEmbedding(embeddings: [[1, 2], [3, 4]], tokensInput: 6))
        #expect(throws: GatewayError.self) { try OpenAIAnswer.embedding(answer, inputs: 3, provider: "p") }
    }

    @Test func openAIModelsWithTheirContextLength() throws {
        let answer = try Self.json(#"{"data":[{"id":"a","max_model_len":4096},{"id":7},{"id":"b"}]}"#)
        #expect(
            OpenAIAnswer.models(answer) == [
                DiscoveredModel(name: "a", contextLength: 4096), DiscoveredModel(name: "b"),
            ])
    }

    @Test func anthropicCompletionSumsInputWithCacheReadsAndWrites() throws {
        let answer = try Self.json(
            """
            {"content":[{"type":"thinking","thinking":"hm","signature":"s"},{"type":"text","text":"Hi "},
             {"type":"tool_use","id":"t1","name":"f","input":{"a":1}},{"type":"text","text":"there"}],
             "stop_reason":"tool_use","stop_sequence":null,
             "usage":{"input_tokens":3,"cache_read_input_tokens":10,"cache_creation_input_tokens":5,"output_tokens":2}}
            """)
        let completion = AnthropicMessagesFormat.completion(answer, jsonTool: nil)
        #expect(completion.content == "Hi there")
        #expect(completion.toolCalls == [ToolCall(id: "t1", name: "f", arguments: "{\"a\":1}")])
        #expect((completion.tokensInput, completion.cachedInput, completion.cacheWrite) == (18, 10, 5))
        #expect(completion.tokensOutput == 2)
        #expect(completion.finishReason == .toolUse)
        #expect(completion.reasoning.map(\.text) == ["hm"])
    }

    @Test func anthropicJSONToolInputIsTheText() throws {
        let answer = try Self.json(
            #"{"content":[{"type":"tool_use","id":"t","name":"json_answer","input":{"ok":true}}],"stop_reason":"tool_use"}"#
        )
        let completion = AnthropicMessagesFormat.completion(answer, jsonTool: "json_answer")
        #expect(completion.content == "{\"ok\":true}")
        #expect(completion.toolCalls.isEmpty)
        #expect(completion.finishReason == .stop)
    }

    @Test func anthropicModels() throws {
        let models = AnthropicMessagesFormat.models(try Self.json(#"{"data":[{"id":"claude-x"},{"type":"model"}]}"#))
        #expect(models.map(\.name) == ["claude-x"])
        #expect(models.first?.capabilities?.contains(.tools) == true)
    }

    @Test func ollamaChatAnswerWithCallsAndThinking() throws {
        let answer = try Self.json(
            """
            {"message":{"role":"assistant","content":"","thinking":"hm",
             "tool_calls":[{"function":{"name":"f","arguments":{"q":"x"}}}]},
             "done":true,"done_reason":"stop","prompt_eval_count":4,"eval_count":9}
            """)
        let completion = try OllamaAnswer.completion(answer, provider: "p")
        #expect(completion.toolCalls == [ToolCall(id: "call-1", name: "f", arguments: "{\"q\":\"x\"}")])
        #expect(completion.finishReason == .toolUse)
        #expect((completion.tokensInput, completion.tokensOutput) == (4, 9))
        #expect(completion.reasoning.map(\.text) == ["hm"])
    }

    @Test func ollamaErrorAnswerThrowsItsMessage() throws {
        let answer = try Self.json(#"{"error":"model 'x' not found"}"#)
        do {
            _ = try OllamaAnswer.completion(answer, provider: "p")
            Issue.record("an error answer was taken as a completion")
        } catch {
            #expect(error.message == "provider p: model 'x' not found")
        }
    }

    @Test func ollamaEmbeddingsModelsAndDetails() throws {
        let embed = try Self.json(#"{"embeddings":[[0.5],[1]],"prompt_eval_count":2}"#)
        #expect(
            try OllamaAnswer.embedding(embed, inputs: 2, provider: "p")
                == ProviderEmbedding(embeddings: [[0.5], [1]], tokensInput: 2))
        #expect(throws: GatewayError.self) { try OllamaAnswer.embedding(embed, inputs: 1, provider: "p") }
        #expect(
            OllamaAnswer.modelNames(try Self.json(#"{"models":[{"name":"a"},{"size":1},{"name":"b"}]}"#)) == ["a", "b"])
        let shown = try Self.json(
            #"{"model_info":{"general.architecture":"llama","llama.context_length":8192},"capabilities":["completion","tools"]}"#
        )
        #expect(
            OllamaAnswer.model("a", shown: shown)
                == DiscoveredModel(
                    name: "a", contextLength: 8192, capabilities: [.generate, .chat, .stream, .jsonOutput, .tools]))
        #expect(OllamaAnswer.capabilities(["embedding", "completion"]) == [.embedding])
    }
}
