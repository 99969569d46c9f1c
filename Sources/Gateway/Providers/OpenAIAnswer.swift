/// The fields the gateway reads from an OpenAI-format answer — a whole chat completion or one streamed chunk
/// — read in one pass with `JSONReader` (no tree). A repeated key keeps its last value, as a tree would.
struct OpenAIAnswer {
    var hasChoices = false
    var mayBeError = false
    /// The first choice.
    var choice: Choice?
    var usage: Usage?

    /// Reads the answer in `bytes` into this empty value, in place: built and returned instead, the answer
    /// was copied whole once or twice per chunk. `choiceField` names what a choice carries: `message` in a
    /// completion, `delta` in a chunk.
    mutating func read(_ bytes: UnsafeBufferPointer<UInt8>, choiceField: StaticString) throws {
        try JSONReader.read(bytes) { try self.read(&$0, choiceField: choiceField) }
    }

    private mutating func read(_ reader: inout JSONReader, choiceField: StaticString) throws {
        try reader.members { reader, key in
            if key == "choices" {
                hasChoices = true
                choice = nil
                try reader.elements { reader, position in
                    guard position == 0 else { return }
                    choice = Choice()
                    try choice!.read(&reader, field: choiceField)
                }
            } else if key == "usage" {
                usage = reader.isNull ? nil : try Usage(&reader)
            } else if key == "error" || key == "message" {
                mayBeError = true
            }
        }
    }

    /// Where the content stood when the answer is a text chunk and nothing else (no finish, usage, tool
    /// calls or reasoning): the kind of chunk a stream repeats with only its text changed.
    var textOnlyChunkRange: Range<Int>? {
        guard hasChoices, !mayBeError, usage == nil, let choice, choice.text == nil, choice.reasoningContent == nil,
            choice.reasoning == nil, choice.toolCalls == nil, choice.finish == nil, choice.stopReason == nil
        else { return nil }
        return choice.contentRange
    }

    struct Choice {
        var content: String?
        /// Where `content` stood in the document, quotes included (a stream learns its chunks' shape from it).
        var contentRange: Range<Int>?
        var text: String?
        /// `reasoning_content` (vLLM's reasoning parsers, DeepSeek) or `reasoning` (gpt-oss).
        var reasoningContent: String?
        var reasoning: String?
        var toolCalls: JSON?
        var finish: String?
        /// vLLM's name for the stop string that matched.
        var stopReason: String?

        mutating func read(_ reader: inout JSONReader, field: StaticString) throws {
            try reader.members { reader, key in
                if key == field {
                    (content, contentRange, reasoningContent, reasoning, toolCalls) = (nil, nil, nil, nil, nil)
                    try reader.members { reader, key in
                        if key == "content" {
                            let start = reader.offset
                            content = try reader.string()
                            contentRange = content == nil ? nil : start..<reader.offset
                        } else if key == "reasoning_content" {
                            reasoningContent = try reader.string()
                        } else if key == "reasoning" {
                            reasoning = try reader.string()
                        } else if key == "tool_calls" {
                            toolCalls = try reader.json()
                        }
                    }
                } else if key == "text" {
                    text = try reader.string()
                } else if key == "finish_reason" {
                    finish = try reader.string()
                } else if key == "stop_reason" {
                    stopReason = try reader.string()
                }
            }
        }
    }

    struct Usage {
        var prompt: Int?
        var completion: Int?
        var cached: Int?
        var reasoning: Int?

        init(_ reader: inout JSONReader) throws {
            try reader.members { reader, key in
                if key == "prompt_tokens" {
                    prompt = try reader.count()
                } else if key == "completion_tokens" {
                    completion = try reader.count()
                } else if key == "prompt_tokens_details" {
                    cached = nil
                    try reader.members { reader, key in if key == "cached_tokens" { cached = try reader.count() } }
                } else if key == "completion_tokens_details" {
                    reasoning = nil
                    try reader.members { reader, key in if key == "reasoning_tokens" { reasoning = try reader.count() }
                    }
                }
            }
        }
    }
}

extension OpenAIAnswer {
    /// The completion in a whole chat-completion (or completions) body from `provider`.
    static func completion(_ body: [UInt8], provider: String) throws(GatewayError) -> ProviderCompletion {
        var answer = OpenAIAnswer()
        do {
            try body.withUnsafeBufferPointer { try answer.read($0, choiceField: "message") }
        } catch {
            throw GatewayError(.providerError, "provider \(provider) sent malformed JSON (\(error))")
        }
        guard let choice = answer.choice else {
            throw GatewayError(.providerError, "provider \(provider) answered without choices")
        }
        let usage = answer.usage
        let thought = choice.reasoningContent ?? choice.reasoning
        return ProviderCompletion(
            content: choice.content ?? choice.text ?? "",
            tokensInput: usage?.prompt ?? 0,
            tokensOutput: usage?.completion ?? 0,
            cachedInput: usage?.cached ?? 0,
            finishReason: OpenAIStreamTranslator.finishReason(choice.finish),
            toolCalls: OpenAIChatFormat.toolCalls(choice.toolCalls),
            reasoning: thought.flatMap { $0.isEmpty ? nil : [ReasoningPart(text: $0)] } ?? [],
            reasoningTokens: usage?.reasoning,
            stop: StopDetails(sequence: choice.stopReason ?? "", providerReason: choice.finish ?? ""))
    }

    /// The vectors of an `/embeddings` answer, in input order; `inputs` is how many were asked for.
    static func embedding(_ answer: JSON, inputs: Int, provider: String) throws(GatewayError) -> ProviderEmbedding {
        guard let data = answer["data"]?.arrayValue, data.count == inputs else {
            throw GatewayError(.providerError, "provider \(provider) sent no embeddings")
        }
        let ordered = data.sorted { ($0["index"]?.countValue ?? 0) < ($1["index"]?.countValue ?? 0) }
        return ProviderEmbedding(
            embeddings: ordered.map { ProviderHTTP.vector($0["embedding"]) },
            tokensInput: answer["usage"]?["prompt_tokens"]?.countValue ?? 0)
    }

    /// The models a `/models` answer lists (vLLM adds each one's context length).
    static func models(_ answer: JSON) -> [DiscoveredModel] {
        answer["data"]?.arrayValue?.compactMap { item in
            item["id"]?.stringValue.map { DiscoveredModel(name: $0, contextLength: item["max_model_len"]?.countValue) }
        } ?? []
    }
}
