/// Anthropic's Messages API: `/v1/messages` with `x-api-key` and `anthropic-version`, `system` as a
/// top-level field, `max_tokens` always sent, the SSE event sequence, `/v1/models`. Inactive — sending
/// nothing at all — while no key is configured.
struct AnthropicProvider: Provider {
    static let apiVersion = "2023-06-01"
    let config: ProviderConfig
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

    private func body(_ call: ProviderCall, stream: Bool) -> JSON {
        let request = call.request
        let turns = request.conversation
        let system = turns.filter { $0.role == "system" }.map(\.content).joined(separator: "\n\n")
        var json: JSONObject = [
            "model": .string(call.upstreamModel),
            "max_tokens": .number(Double(request.effectiveMaxTokens)),
            // Anthropic's temperature range is 0–1; the gateway's is 0–2.
            "temperature": .number(min(request.effectiveTemperature, 1.0)),
            "messages": .array(
                turns.filter { $0.role != "system" }.map {
                    ["role": .string($0.role == "assistant" ? "assistant" : "user"), "content": .string($0.content)]
                }),
        ]
        if !system.isEmpty { json["system"] = .string(system) }
        if let topP = request.topP { json["top_p"] = .number(topP) }
        if !request.stopSequences.isEmpty { json["stop_sequences"] = .array(request.stopSequences.map(JSON.string)) }
        if stream { json["stream"] = true }
        return .object(json)
    }

    private func send(
        _ json: JSON, timeouts: UpstreamTimeouts, headers extra: [(String, String)] = [],
        streaming: Bool = false
    ) async throws -> UpstreamResponse {
        try requireKey()
        let response = try await client.send(
            .post(
                config.endpoint + "/v1/messages", json: json, headers: headers + extra, timeouts: timeouts,
                streaming: streaming))
        try await ProviderHTTP.check(response, provider: name, message: Self.errorMessage)
        return response
    }

    func complete(_ call: ProviderCall) async throws -> ProviderCompletion {
        let answer = try await ProviderHTTP.json(
            try await send(body(call, stream: false), timeouts: call.timeouts, headers: call.headers), provider: config)
        let text = answer["content"]?.arrayValue?.compactMap {
            $0["type"]?.stringValue == "text" ? $0["text"]?.stringValue : nil
        }
        let usage = answer["usage"]
        let cached = usage?["cache_read_input_tokens"]?.countValue ?? 0
        return ProviderCompletion(
            content: text?.joined() ?? "",
            tokensInput: (usage?["input_tokens"]?.countValue ?? 0) + cached,
            tokensOutput: usage?["output_tokens"]?.countValue ?? 0,
            cachedInput: cached,
            finishReason: AnthropicStreamTranslator.finishReason(answer["stop_reason"]?.stringValue))
    }

    func stream(_ call: ProviderCall) async throws -> ProviderEventStream {
        let response = try await send(
            body(call, stream: true), timeouts: call.timeouts, headers: call.headers, streaming: true)
        return ProviderHTTP.events(
            response.body, AnthropicStreamTranslator(provider: name, maxEventBytes: config.maxEventBytes))
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
        return (try await ProviderHTTP.json(response, provider: config))["data"]?.arrayValue?.compactMap {
            $0["id"]?.stringValue.map { DiscoveredModel(name: $0, capabilities: [.generate, .chat, .stream]) }
        } ?? []
    }
}

/// Anthropic's SSE events: message_start (input usage), content_block_delta (text), message_delta
/// (stop_reason, output usage), message_stop; `error` events (such as overloaded_error) are failures.
struct AnthropicStreamTranslator: StreamTranslator {
    let provider: String
    private var decoder: SSEDecoder
    private var stopped = false
    private var cachedInput = 0

    init(provider: String, maxEventBytes: Int = SSEDecoder.defaultMaxEventBytes) {
        self.provider = provider
        decoder = SSEDecoder(maxEventBytes: maxEventBytes)
    }

    static func finishReason(_ reason: String?) -> FinishReason {
        switch reason {
        case "max_tokens": .length
        case "tool_use": .toolUse
        case "refusal": .contentFilter
        default: .stop
        }
    }

    mutating func feed(_ bytes: [UInt8]) throws -> [ProviderEvent] {
        var events: [ProviderEvent] = []
        for event in try decoder.feed(bytes) {
            let payload: JSON
            do {
                payload = try JSONParser.parseRepairingUTF8(event.dataBytes)
            } catch {
                throw GatewayError(.providerError, "provider \(provider) sent a malformed event (\(error))")
            }
            switch payload["type"]?.stringValue ?? event.event {
            case "message_start":
                let usage = payload["message"]?["usage"]
                cachedInput = usage?["cache_read_input_tokens"]?.countValue ?? 0
                events.append(
                    .usage(
                        input: (usage?["input_tokens"]?.countValue ?? 0) + cachedInput, output: nil,
                        cachedInput: cachedInput))
            case "content_block_delta":
                if let text = payload["delta"]?["text"]?.stringValue, !text.isEmpty { events.append(.delta(text)) }
            case "message_delta":
                if let output = payload["usage"]?["output_tokens"]?.countValue {
                    events.append(.usage(input: nil, output: output, cachedInput: nil))
                }
                if let reason = payload["delta"]?["stop_reason"]?.stringValue {
                    events.append(.finish(Self.finishReason(reason)))
                }
            case "message_stop":
                stopped = true
            case "error":
                let message = AnthropicProvider.errorMessage(payload) ?? "unknown error"
                throw GatewayError(.providerError, "provider \(provider) failed mid-stream: \(message)")
            default:
                break  // ping, content_block_start, content_block_stop
            }
        }
        return events
    }

    mutating func finish() throws -> [ProviderEvent] {
        guard stopped else {
            throw GatewayError(.providerError, "provider \(provider) ended the stream before message_stop")
        }
        return []
    }
}
