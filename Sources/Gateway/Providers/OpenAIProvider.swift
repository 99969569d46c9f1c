/// vLLM and any OpenAI-compatible server: `/chat/completions` or `/completions` (per model), SSE streams
/// ending in `[DONE]` with usage always requested, `/models`, `/embeddings`; an optional bearer key.
struct OpenAIProvider: Provider {
    let config: ProviderConfig
    var name: String { config.name }
    let client: HTTPClient

    static func errorMessage(_ body: JSON) -> String? {
        body["error"]?["message"]?.stringValue ?? body["error"]?.stringValue ?? body["message"]?.stringValue
    }

    private var authHeaders: [(String, String)] {
        config.apiKey.isEmpty ? [] : [("authorization", "Bearer \(config.apiKey)")]
    }

    private func body(_ call: ProviderCall, stream: Bool) throws(GatewayError) -> (path: String, body: [UInt8]) {
        let request = call.request
        var json = JSONObjectWriter()
        json.add("model", call.upstreamModel)
        json.add("max_tokens", request.effectiveMaxTokens)
        json.add("temperature", request.effectiveTemperature)
        json.add("stream", stream)
        if let topP = request.topP { json.add("top_p", topP) }
        if let effort = request.reasoning?.effort { json.add("reasoning_effort", effort.rawValue) }
        if let seed = request.seed { json.add("seed", Int(seed)) }
        if let topK = request.topK { json.add("top_k", Int(topK)) }  // vLLM's sampling extra
        if !request.stopSequences.isEmpty { json.add("stop", .array(request.stopSequences.map(JSON.string))) }
        if stream { json.add("stream_options") { $0.add("include_usage", true) } }
        switch call.api {
        case .chat:
            json.add("messages", array: request.conversation) { turn, out in
                JSONObjectWriter.write(into: &out) { OpenAIChatFormat.message(turn, into: &$0) }
            }
            OpenAIChatFormat.addTooling(request, to: &json)
            return ("/chat/completions", json.finish())
        case .completions:
            guard request.neededCapabilities.isEmpty else {
                throw .invalid(
                    "model", "\(call.upstreamModel) uses the completions API: no tools, images or JSON output")
            }
            let system = request.systemPrompt.isEmpty ? "" : request.systemPrompt + "\n\n"
            json.add("prompt", system + request.promptText)
            return ("/completions", json.finish())
        }
    }

    private func send(
        _ path: String, _ body: [UInt8], timeouts: UpstreamTimeouts, headers extra: [(String, String)] = [],
        streaming: Bool = false
    ) async throws -> UpstreamResponse {
        let response = try await client.send(
            .post(
                config.endpoint + path, body: body, headers: extra.isEmpty ? authHeaders : authHeaders + extra,
                timeouts: timeouts,
                streaming: streaming))
        try await ProviderHTTP.check(response, provider: name, message: Self.errorMessage)
        return response
    }

    func complete(_ call: ProviderCall) async throws -> ProviderCompletion {
        let (path, json) = try body(call, stream: false)
        let response = try await send(path, json, timeouts: call.timeouts, headers: call.headers)
        return try OpenAIAnswer.completion(
            try await response.body.collect(limit: config.maxResponseBytes), provider: name)
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
            try await send("/embeddings", JSONSerializer.serialize(json), timeouts: timeouts, headers: headers),
            provider: config)
        return try OpenAIAnswer.embedding(answer, inputs: input.count, provider: name)
    }

    func discoverModels(timeouts: UpstreamTimeouts) async throws -> [DiscoveredModel] {
        let response = try await client.send(
            UpstreamRequest(url: config.endpoint + "/models", headers: authHeaders, timeouts: timeouts))
        try await ProviderHTTP.check(response, provider: name, message: Self.errorMessage)
        return OpenAIAnswer.models(try await ProviderHTTP.json(response, provider: config))
    }
}

/// OpenAI's SSE chunks: `choices[0].delta.content` (or `.text`), `finish_reason`, a final usage chunk, `[DONE]`.
struct OpenAIStreamTranslator: StreamTranslator {
    let provider: String
    private var decoder: SSEDecoder
    private var finished = false
    private var sawDone = false
    /// The shape of this stream's text chunks, once one was read in full.
    private var shape: RepeatedChunkShape
    /// How many chunks were read from their shape rather than in full.
    private(set) var chunksReadFromShape = 0

    /// `learnsShapes: false` reads every chunk in full (tests compare the two).
    init(provider: String, maxEventBytes: Int = SSEDecoder.defaultMaxEventBytes, learnsShapes: Bool = true) {
        self.provider = provider
        decoder = SSEDecoder(maxEventBytes: maxEventBytes)
        shape = RepeatedChunkShape(learns: learnsShapes)
    }

    private static let doneMarker = Array("[DONE]".utf8)

    static func finishReason(_ reason: String?) -> FinishReason {
        switch reason {
        case "length": .length
        case "content_filter": .contentFilter
        case "tool_calls", "function_call": .toolUse
        default: .stop
        }
    }

    mutating func feed(_ bytes: Swift.Span<UInt8>, into events: inout [ProviderEvent]) throws {
        // The visitor keeps its own copies of the flags: it cannot reach `self` while `decoder` is in use.
        var (sawDone, finished, shape, fromShape) = (self.sawDone, self.finished, self.shape, 0)
        defer {
            (self.sawDone, self.finished, self.shape) = (sawDone, finished, shape)
            chunksReadFromShape += fromShape
        }
        let provider = self.provider
        try decoder.decode(bytes) { event in
            if event.data.elementsEqual(Self.doneMarker) {
                sawDone = true
                return
            }
            if shape.read(event.data, into: &events) { return fromShape += 1 }
            do {
                // Read and translated in place: passed by value (even consumed) the answer was copied whole.
                var chunk = OpenAIAnswer()
                try chunk.read(event.data, choiceField: "delta")
                if let text = chunk.textOnlyChunkRange { shape.learn(event.data, holes: [text], text: 0) }
                if try Self.translate(&chunk, event.data, provider: provider, into: &events) { finished = true }
            } catch let error as JSONParseError {
                throw GatewayError(.providerError, "provider \(provider) sent a malformed event (\(error))")
            }
        }
    }

    /// The events a chunk makes, in the order a consumer expects them; true when it finished the answer.
    private static func translate(
        _ chunk: inout OpenAIAnswer, _ bytes: UnsafeBufferPointer<UInt8>, provider: String,
        into events: inout [ProviderEvent]
    ) throws -> Bool {
        if chunk.mayBeError, !chunk.hasChoices,
            let message = OpenAIProvider.errorMessage((try? JSONParser.parseRepairingUTF8(Array(bytes))) ?? .null)
        {
            throw GatewayError(.providerError, "provider \(provider) failed mid-stream: \(message)")
        }
        var finished = false
        if let choice = chunk.choice.take() {  // moved out, not copied
            if let thought = choice.reasoningContent ?? choice.reasoning, !thought.isEmpty {
                events.append(.reasoning(ReasoningPart(text: thought)))
            }
            let piece = choice.content ?? choice.text ?? ""
            if !piece.isEmpty { events.append(.delta(piece)) }
            for piece in OpenAIChatFormat.toolCallDeltas(choice.toolCalls) { events.append(.toolCall(piece)) }
            if let reason = choice.finish {
                finished = true
                events.append(.stopDetails(StopDetails(sequence: choice.stopReason ?? "", providerReason: reason)))
                events.append(.finish(Self.finishReason(reason)))
            }
        }
        if let usage = chunk.usage {
            events.append(.usage(input: usage.prompt, output: usage.completion, cachedInput: usage.cached))
            if let reasoning = usage.reasoning { events.append(.breakdown(reasoning: reasoning, cacheWrite: nil)) }
        }
        return finished
    }

    mutating func finish() throws -> [ProviderEvent] {
        guard finished || sawDone else {
            throw GatewayError(.providerError, "provider \(provider) ended the stream before it finished")
        }
        return []
    }
}
