/// vLLM and any OpenAI-compatible server: `/chat/completions` or `/completions` (per model), SSE streams
/// ending in `[DONE]` with usage always requested, `/models`, `/embeddings`; an optional bearer key.
struct OpenAIProvider: Provider {
    let config: ProviderConfig
    let client: HTTPClient

    static func errorMessage(_ body: JSON) -> String? {
        body["error"]?["message"]?.stringValue ?? body["error"]?.stringValue ?? body["message"]?.stringValue
    }

    private var authHeaders: [(String, String)] {
        config.apiKey.isEmpty ? [] : [("authorization", "Bearer \(config.apiKey)")]
    }

    private func body(_ call: ProviderCall, stream: Bool) throws(GatewayError) -> (path: String, json: JSON) {
        let request = call.request
        var json: JSONObject = [
            "model": .string(call.upstreamModel),
            "max_tokens": .number(Double(request.effectiveMaxTokens)),
            "temperature": .number(request.effectiveTemperature),
            "stream": .bool(stream),
        ]
        if let topP = request.topP { json["top_p"] = .number(topP) }
        if let effort = request.reasoning?.effort { json["reasoning_effort"] = .string(effort.rawValue) }
        if let seed = request.seed { json["seed"] = .number(Double(seed)) }
        if let topK = request.topK { json["top_k"] = .number(Double(topK)) }  // vLLM's sampling extra
        if !request.stopSequences.isEmpty { json["stop"] = .array(request.stopSequences.map(JSON.string)) }
        if stream { json["stream_options"] = ["include_usage": true] }
        switch call.api {
        case .chat:
            json["messages"] = .array(request.conversation.map(OpenAIChatFormat.message))
            OpenAIChatFormat.addTooling(request, to: &json)
            return ("/chat/completions", .object(json))
        case .completions:
            guard request.neededCapabilities.isEmpty else {
                throw .invalid(
                    "model", "\(call.upstreamModel) uses the completions API: no tools, images or JSON output")
            }
            let system = request.systemPrompt.isEmpty ? "" : request.systemPrompt + "\n\n"
            json["prompt"] = .string(system + request.promptText)
            return ("/completions", .object(json))
        }
    }

    private func send(
        _ path: String, _ json: JSON, timeouts: UpstreamTimeouts, headers extra: [(String, String)] = [],
        streaming: Bool = false
    ) async throws -> UpstreamResponse {
        let response = try await client.send(
            .post(
                config.endpoint + path, json: json, headers: authHeaders + extra, timeouts: timeouts,
                streaming: streaming))
        try await ProviderHTTP.check(response, provider: name, message: Self.errorMessage)
        return response
    }

    func complete(_ call: ProviderCall) async throws -> ProviderCompletion {
        let (path, json) = try body(call, stream: false)
        let answer = try await ProviderHTTP.json(
            try await send(path, json, timeouts: call.timeouts, headers: call.headers), provider: config)
        guard let choice = answer["choices"]?.arrayValue?.first else {
            throw GatewayError(.providerError, "provider \(name) answered without choices")
        }
        let usage = answer["usage"]
        return ProviderCompletion(
            content: choice["message"]?["content"]?.stringValue ?? choice["text"]?.stringValue ?? "",
            tokensInput: usage?["prompt_tokens"]?.countValue ?? 0,
            tokensOutput: usage?["completion_tokens"]?.countValue ?? 0,
            cachedInput: usage?["prompt_tokens_details"]?["cached_tokens"]?.countValue ?? 0,
            finishReason: OpenAIStreamTranslator.finishReason(choice["finish_reason"]?.stringValue),
            toolCalls: OpenAIChatFormat.toolCalls(choice["message"]?["tool_calls"]),
            reasoning: OpenAIStreamTranslator.reasoningText(choice["message"]).map { [ReasoningPart(text: $0)] } ?? [],
            reasoningTokens: usage?["completion_tokens_details"]?["reasoning_tokens"]?.countValue,
            stop: OpenAIStreamTranslator.stopDetails(choice))
    }

    func stream(_ call: ProviderCall) async throws -> ProviderEventStream {
        let (path, json) = try body(call, stream: true)
        let response = try await send(path, json, timeouts: call.timeouts, headers: call.headers, streaming: true)
        return ProviderHTTP.events(
            response.body, OpenAIStreamTranslator(provider: name, maxEventBytes: config.maxEventBytes))
    }

    func embed(upstreamModel: String, input: [String], timeouts: UpstreamTimeouts, headers: [(String, String)])
        async throws -> ProviderEmbedding
    {
        let json: JSON = ["model": .string(upstreamModel), "input": .array(input.map(JSON.string))]
        let answer = try await ProviderHTTP.json(
            try await send("/embeddings", json, timeouts: timeouts, headers: headers), provider: config)
        guard let data = answer["data"]?.arrayValue, data.count == input.count else {
            throw GatewayError(.providerError, "provider \(name) sent no embeddings")
        }
        let ordered = data.sorted { ($0["index"]?.countValue ?? 0) < ($1["index"]?.countValue ?? 0) }
        return ProviderEmbedding(
            embeddings: ordered.map { ProviderHTTP.vector($0["embedding"]) },
            tokensInput: answer["usage"]?["prompt_tokens"]?.countValue ?? 0)
    }

    func discoverModels(timeouts: UpstreamTimeouts) async throws -> [DiscoveredModel] {
        let response = try await client.send(
            UpstreamRequest(url: config.endpoint + "/models", headers: authHeaders, timeouts: timeouts))
        try await ProviderHTTP.check(response, provider: name, message: Self.errorMessage)
        return (try await ProviderHTTP.json(response, provider: config))["data"]?.arrayValue?.compactMap { item in
            item["id"]?.stringValue.map { DiscoveredModel(name: $0, contextLength: item["max_model_len"]?.countValue) }
        } ?? []
    }
}

/// OpenAI's SSE chunks: `choices[0].delta.content` (or `.text`), `finish_reason`, a final usage chunk, `[DONE]`.
struct OpenAIStreamTranslator: StreamTranslator {
    let provider: String
    private var decoder: SSEDecoder
    private var finished = false
    private var sawDone = false

    init(provider: String, maxEventBytes: Int = SSEDecoder.defaultMaxEventBytes) {
        self.provider = provider
        decoder = SSEDecoder(maxEventBytes: maxEventBytes)
    }

    private static let doneMarker = Array("[DONE]".utf8)

    /// The reasoning of a message or delta: `reasoning_content` (vLLM's reasoning parsers, DeepSeek) or
    /// `reasoning` (gpt-oss).
    static func reasoningText(_ json: JSON?) -> String? {
        guard let text = json?["reasoning_content"]?.stringValue ?? json?["reasoning"]?.stringValue, !text.isEmpty
        else { return nil }
        return text
    }

    /// The raw finish value, and vLLM's `stop_reason` when it names the stop string that matched.
    static func stopDetails(_ choice: JSON) -> StopDetails {
        StopDetails(
            sequence: choice["stop_reason"]?.stringValue ?? "",
            providerReason: choice["finish_reason"]?.stringValue ?? "")
    }

    static func finishReason(_ reason: String?) -> FinishReason {
        switch reason {
        case "length": .length
        case "content_filter": .contentFilter
        case "tool_calls", "function_call": .toolUse
        default: .stop
        }
    }

    mutating func feed(_ bytes: [UInt8]) throws -> [ProviderEvent] {
        var events: [ProviderEvent] = []
        for event in try decoder.feed(bytes) {
            if event.dataBytes == Self.doneMarker {
                sawDone = true
                continue
            }
            do {
                try JSONScanner.read(event.dataBytes) { chunk in try read(chunk, into: &events) }
            } catch let error as JSONParseError {
                throw GatewayError(.providerError, "provider \(provider) sent a malformed event (\(error))")
            }
        }
        return events
    }

    /// One chunk's events, read field by field (a chunk is mostly one delta: no tree is built for it).
    private mutating func read(_ chunk: JSONSlice, into events: inout [ProviderEvent]) throws {
        var choices: JSONSlice?
        var usage: JSONSlice?
        var mayBeError = false
        chunk.forEachMember { key, value in
            if key == "choices" {
                choices = value
            } else if key == "usage" {
                usage = value
            } else if key == "error" || key == "message" {
                mayBeError = true
            }
        }
        if mayBeError, choices == nil, let message = OpenAIProvider.errorMessage(chunk.json) {
            throw GatewayError(.providerError, "provider \(provider) failed mid-stream: \(message)")
        }
        if let choice = choices?.firstElement {
            var delta: JSONSlice?
            var text: JSONSlice?
            var finish: JSONSlice?
            var stopReason: JSONSlice?
            choice.forEachMember { key, value in
                if key == "delta" {
                    delta = value
                } else if key == "text" {
                    text = value
                } else if key == "finish_reason" {
                    finish = value
                } else if key == "stop_reason" {
                    stopReason = value
                }
            }
            var content: JSONSlice?
            var reasoningContent: JSONSlice?
            var reasoning: JSONSlice?
            var toolCalls: JSONSlice?
            delta?.forEachMember { key, value in
                if key == "content" {
                    content = value
                } else if key == "reasoning_content" {
                    reasoningContent = value
                } else if key == "reasoning" {
                    reasoning = value
                } else if key == "tool_calls" {
                    toolCalls = value
                }
            }
            if let thought = reasoningContent?.stringValue ?? reasoning?.stringValue, !thought.isEmpty {
                events.append(.reasoning(ReasoningPart(text: thought)))
            }
            let piece = content?.stringValue ?? text?.stringValue ?? ""
            if !piece.isEmpty { events.append(.delta(piece)) }
            if let toolCalls {
                for piece in OpenAIChatFormat.toolCallDeltas(toolCalls.json) { events.append(.toolCall(piece)) }
            }
            if let reason = finish?.stringValue {
                finished = true
                events.append(
                    .stopDetails(StopDetails(sequence: stopReason?.stringValue ?? "", providerReason: reason)))
                events.append(.finish(Self.finishReason(reason)))
            }
        }
        if let usage, !usage.isNull {
            var prompt: JSONSlice?
            var completion: JSONSlice?
            var cached: JSONSlice?
            var reasoningTokens: JSONSlice?
            usage.forEachMember { key, value in
                if key == "prompt_tokens" {
                    prompt = value
                } else if key == "completion_tokens" {
                    completion = value
                } else if key == "prompt_tokens_details" {
                    cached = nil
                    value.forEachMember { key, value in if key == "cached_tokens" { cached = value } }
                } else if key == "completion_tokens_details" {
                    reasoningTokens = nil
                    value.forEachMember { key, value in if key == "reasoning_tokens" { reasoningTokens = value } }
                }
            }
            events.append(
                .usage(input: prompt?.countValue, output: completion?.countValue, cachedInput: cached?.countValue))
            if let reasoning = reasoningTokens?.countValue {
                events.append(.breakdown(reasoning: reasoning, cacheWrite: nil))
            }
        }
    }

    mutating func finish() throws -> [ProviderEvent] {
        guard finished || sawDone else {
            throw GatewayError(.providerError, "provider \(provider) ended the stream before it finished")
        }
        return []
    }
}
