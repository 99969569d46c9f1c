/// Anthropic's Messages API: `/v1/messages` with `x-api-key` and `anthropic-version`, `system` as a
/// top-level field, `max_tokens` always sent, the SSE event sequence, `/v1/models`. Inactive — sending
/// nothing at all — while no key is configured.
struct AnthropicProvider: Provider {
    static let apiVersion = "2023-06-01"
    let config: ProviderConfig
    var name: String { config.name }
    let client: HTTPClient

    static func errorMessage(_ body: JSON) -> String? {
        guard let error = body["error"] else { return nil }
        let type = error["type"]?.stringValue.map { "\($0): " } ?? ""
        return type + (error["message"]?.stringValue ?? "")
    }

    private var headers: [(String, String)] {
        [("x-api-key", config.apiKey), ("anthropic-version", Self.apiVersion)]
    }

    private func requireKey() throws {
        guard config.isActive else {
            throw GatewayError(.noProviderAvailable, "provider \(name) has no API key configured")
        }
    }

    private func body(_ call: ProviderCall, stream: Bool) throws(GatewayError) -> [UInt8] {
        let request = call.request
        var json = JSONObjectWriter()
        json.add("model", call.upstreamModel)
        json.add("max_tokens", request.effectiveMaxTokens)
        try AnthropicMessagesFormat.add(request, to: &json)
        // With thinking on, Anthropic takes no temperature but 1, no top_k and no top_p below 0.95: those
        // are left out (no seed either: the API has none).
        if let budget = try AnthropicMessagesFormat.thinkingBudget(request) {
            json.add("thinking", ["type": "enabled", "budget_tokens": .number(Double(budget))])
            if let topP = request.topP, topP >= 0.95 { json.add("top_p", topP) }
        } else {
            // Anthropic's temperature range is 0–1; the gateway's is 0–2.
            json.add("temperature", min(request.effectiveTemperature, 1.0))
            if let topP = request.topP { json.add("top_p", topP) }
            if let topK = request.topK { json.add("top_k", topK) }
        }
        if !request.stopSequences.isEmpty { json.add("stop_sequences", .array(request.stopSequences.map(JSON.string))) }
        if stream { json.add("stream", true) }
        return json.finish()
    }

    private func send(
        _ body: [UInt8], timeouts: UpstreamTimeouts, headers extra: [(String, String)] = [],
        streaming: Bool = false
    ) async throws -> UpstreamResponse {
        try requireKey()
        let response = try await client.send(
            .post(
                config.endpoint + "/v1/messages", body: body, headers: extra.isEmpty ? headers : headers + extra,
                timeouts: timeouts,
                streaming: streaming))
        try await ProviderHTTP.check(response, provider: name, message: Self.errorMessage)
        return response
    }

    func complete(_ call: ProviderCall) async throws -> ProviderCompletion {
        let answer = try await ProviderHTTP.json(
            try await send(try body(call, stream: false), timeouts: call.timeouts, headers: call.headers),
            provider: config)
        return AnthropicMessagesFormat.completion(
            answer, jsonTool: AnthropicMessagesFormat.jsonTool(call.request)?.name)
    }

    func stream(_ call: ProviderCall) async throws -> ProviderEventStream {
        let response = try await send(
            try body(call, stream: true), timeouts: call.timeouts, headers: call.headers, streaming: true)
        return ProviderHTTP.events(
            response.body,
            AnthropicStreamTranslator(
                provider: name, maxEventBytes: config.maxEventBytes,
                jsonOutput: AnthropicMessagesFormat.jsonTool(call.request) != nil))
    }

    func embed(upstreamModel: String, input: [String], timeouts: UpstreamTimeouts, headers: [(String, String)])
        async throws -> ProviderEmbedding
    {
        throw GatewayError(.invalidRequest, "provider \(name) offers no embeddings")
    }

    func discoverModels(timeouts: UpstreamTimeouts) async throws -> [DiscoveredModel] {
        try requireKey()
        let response = try await client.send(
            UpstreamRequest(url: config.endpoint + "/v1/models", headers: headers, timeouts: timeouts))
        try await ProviderHTTP.check(response, provider: name, message: Self.errorMessage)
        return AnthropicMessagesFormat.models(try await ProviderHTTP.json(response, provider: config))
    }
}

/// Anthropic's SSE events: message_start (input usage), content_block_start / _delta / _stop (text, and
/// `tool_use` blocks whose input arrives as `input_json_delta` pieces), message_delta (stop_reason, output
/// usage), message_stop; `error` events (such as overloaded_error) are failures. With `jsonOutput`, the one
/// forced tool's input is the answer's text.
struct AnthropicStreamTranslator: StreamTranslator {
    let provider: String
    let jsonOutput: Bool
    private var decoder: SSEDecoder
    private var stopped = false
    private var cachedInput = 0
    /// Content block index → tool call index, for the open `tool_use` blocks.
    private var callIndex: [Int: Int] = [:]
    /// Tool blocks whose input has had a piece (an input with none is `{}`).
    private var callHasInput: Set<Int> = []
    private var calls = 0
    /// The shape of this stream's text deltas, once one was read in full.
    private var shape: RepeatedChunkShape
    /// How many events were read from their shape rather than parsed.
    private(set) var eventsReadFromShape = 0

    /// `learnsShapes: false` parses every event (tests compare the two).
    init(
        provider: String, maxEventBytes: Int = SSEDecoder.defaultMaxEventBytes, jsonOutput: Bool = false,
        learnsShapes: Bool = true
    ) {
        self.provider = provider
        self.jsonOutput = jsonOutput
        decoder = SSEDecoder(maxEventBytes: maxEventBytes)
        shape = RepeatedChunkShape(learns: learnsShapes)
    }

    static func finishReason(_ reason: String?, jsonOutput: Bool = false) -> FinishReason {
        switch reason {
        case "max_tokens": .length
        case "tool_use": jsonOutput ? .stop : .toolUse
        case "refusal": .contentFilter
        default: .stop
        }
    }

    mutating func feed(_ bytes: Swift.Span<UInt8>, into events: inout [ProviderEvent]) throws {
        // Events are visited where they lie in the decoder's input; the decoder is taken out of `self` for
        // that (swapped, not copied, so its buffers stay unique), as the visitor translates into `self`.
        var decoder = SSEDecoder(maxEventBytes: self.decoder.maxEventBytes)
        swap(&decoder, &self.decoder)
        defer { swap(&decoder, &self.decoder) }
        try decoder.decode(bytes) { try translate($0, into: &events) }
    }

    /// One event's events: a text delta from its shape when it has the learnt one, anything else parsed.
    private mutating func translate(_ event: SSEEventView, into events: inout [ProviderEvent]) throws {
        if shape.read(event.data, into: &events) { return eventsReadFromShape += 1 }
        let payload: JSON
        do {
            payload = try JSONParser.parseRepairingUTF8(Array(event.data))
        } catch {
            throw GatewayError(.providerError, "provider \(provider) sent a malformed event (\(error))")
        }
        switch payload["type"]?.stringValue ?? event.event {
        case "message_start":
            let usage = payload["message"]?["usage"]
            cachedInput = usage?["cache_read_input_tokens"]?.countValue ?? 0
            let written = usage?["cache_creation_input_tokens"]?.countValue ?? 0
            events.append(
                .usage(
                    input: (usage?["input_tokens"]?.countValue ?? 0) + cachedInput + written, output: nil,
                    cachedInput: cachedInput))
            events.append(.breakdown(reasoning: nil, cacheWrite: written))
        case "content_block_start":
            if let block = payload["content_block"], block["type"]?.stringValue == "redacted_thinking" {
                events.append(
                    .reasoning(ReasoningPart(redactedData: Array((block["data"]?.stringValue ?? "").utf8))))
            }
            if let block = payload["content_block"], block["type"]?.stringValue == "tool_use" {
                let index = payload["index"]?.countValue ?? 0
                callIndex[index] = calls
                if !jsonOutput {
                    events.append(
                        .toolCall(
                            ToolCallDelta(
                                index: calls, id: block["id"]?.stringValue ?? "call-\(calls + 1)",
                                name: block["name"]?.stringValue ?? "")))
                }
                calls += 1
            }
        case "content_block_delta":
            let delta = payload["delta"]
            if shape.isLearning, payload["type"] == "content_block_delta", let delta, delta["text"]?.stringValue != nil,
                delta["thinking"]?.stringValue == nil, delta["signature"]?.stringValue == nil,
                delta["partial_json"]?.stringValue == nil, let text = Self.textRange(event.data)
            {
                shape.learn(event.data, holes: [text], text: 0)
            }
            if let text = delta?["text"]?.stringValue, !text.isEmpty { events.append(.delta(text)) }
            if let thinking = delta?["thinking"]?.stringValue, !thinking.isEmpty {
                events.append(.reasoning(ReasoningPart(text: thinking)))
            }
            if let signature = delta?["signature"]?.stringValue, !signature.isEmpty {
                events.append(.reasoning(ReasoningPart(signature: signature)))
            }
            if let piece = delta?["partial_json"]?.stringValue, !piece.isEmpty,
                let index = payload["index"]?.countValue, let call = callIndex[index]
            {
                callHasInput.insert(index)
                events.append(jsonOutput ? .delta(piece) : .toolCall(ToolCallDelta(index: call, arguments: piece)))
            }
        case "content_block_stop":
            if let index = payload["index"]?.countValue, let call = callIndex.removeValue(forKey: index),
                !callHasInput.contains(index)
            {
                events.append(jsonOutput ? .delta("{}") : .toolCall(ToolCallDelta(index: call, arguments: "{}")))
            }
        case "message_delta":
            if let output = payload["usage"]?["output_tokens"]?.countValue {
                events.append(.usage(input: nil, output: output, cachedInput: nil))
            }
            if let reason = payload["delta"]?["stop_reason"]?.stringValue {
                events.append(
                    .stopDetails(
                        StopDetails(
                            sequence: payload["delta"]?["stop_sequence"]?.stringValue ?? "", providerReason: reason)
                    ))
                events.append(.finish(Self.finishReason(reason, jsonOutput: jsonOutput)))
            }
        case "message_stop":
            stopped = true
        case "error":
            let message = AnthropicProvider.errorMessage(payload) ?? "unknown error"
            throw GatewayError(.providerError, "provider \(provider) failed mid-stream: \(message)")
        default:
            break  // ping
        }
    }

    /// Where `delta.text` stands in a text delta's bytes, quotes included: the last of each key, as the tree
    /// keeps it.
    private static func textRange(_ bytes: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        try? JSONReader.read(bytes) { reader in
            var text: Range<Int>?
            try reader.members { reader, key in
                guard key == "delta" else { return }
                text = nil
                try reader.members { reader, key in if key == "text" { text = try reader.stringRange() } }
            }
            return text
        }
    }

    mutating func finish() throws -> [ProviderEvent] {
        guard stopped else {
            throw GatewayError(.providerError, "provider \(provider) ended the stream before message_stop")
        }
        return []
    }
}
