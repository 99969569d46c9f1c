import Reactor

/// Ollama's native API: `/api/chat` for conversations and `/api/generate` for a prompt (NDJSON streams),
/// `/api/tags` and `/api/show` for discovery, `/api/embed` for embeddings.
final class OllamaProvider: Provider {
    let config: ProviderConfig
    var name: String { config.name }
    let client: HTTPClient
    /// Context length and capabilities from `/api/show`, asked once per model.
    private let shown = Locked<[String: DiscoveredModel]>([:])

    init(config: ProviderConfig, client: HTTPClient) {
        self.config = config
        self.client = client
    }

    static func errorMessage(_ body: JSON) -> String? { body["error"]?.stringValue }

    private func body(_ call: ProviderCall, stream: Bool) throws(GatewayError) -> (path: String, body: [UInt8]) {
        let request = call.request
        var json = JSONObjectWriter()
        json.add("model", call.upstreamModel)
        json.add("stream", stream)
        json.add("options") { options in
            options.add("temperature", request.effectiveTemperature)
            options.add("num_predict", request.effectiveMaxTokens)
            if let topP = request.topP { options.add("top_p", topP) }
            if !request.stopSequences.isEmpty { options.add("stop", .array(request.stopSequences.map(JSON.string))) }
            if let seed = request.seed { options.add("seed", Int(seed)) }
            if let topK = request.topK { options.add("top_k", topK) }
        }
        // `think`: off for effort none, a level where one is given (gpt-oss takes levels), else on.
        if let reasoning = request.reasoning {
            switch reasoning.effort {
            case .none?: json.add("think", false)
            case let effort?: json.add("think", effort.rawValue)
            case nil: json.add("think", true)
            }
        }
        if let format = request.responseFormat {
            switch format.type {
            case .text: break
            case .jsonObject: json.add("format", "json")
            case .jsonSchema: json.add("format", format.schema ?? ["type": "object"])
            }
        }
        if request.messages.isEmpty, request.tools.isEmpty {
            json.add("prompt", request.prompt)
            if !request.systemPrompt.isEmpty { json.add("system", request.systemPrompt) }
            return ("/api/generate", json.finish())
        }
        json.add("messages", .array(try OllamaChatFormat.messages(request.conversation)))
        if let tools = OllamaChatFormat.tools(request) { json.add("tools", tools) }
        return ("/api/chat", json.finish())
    }

    private func send(
        _ path: String, _ body: [UInt8], timeouts: UpstreamTimeouts, headers extra: [(String, String)] = [],
        streaming: Bool = false
    ) async throws -> UpstreamResponse {
        let response = try await client.send(
            .post(config.endpoint + path, body: body, headers: extra, timeouts: timeouts, streaming: streaming))
        try await ProviderHTTP.check(response, provider: name, message: Self.errorMessage)
        return response
    }

    func complete(_ call: ProviderCall) async throws -> ProviderCompletion {
        let (path, json) = try body(call, stream: false)
        let answer = try await ProviderHTTP.json(
            try await send(path, json, timeouts: call.timeouts, headers: call.headers), provider: config)
        return try OllamaAnswer.completion(answer, provider: name)
    }

    func stream(_ call: ProviderCall) async throws -> ProviderEventStream {
        let (path, json) = try body(call, stream: true)
        let response = try await send(path, json, timeouts: call.timeouts, headers: call.headers, streaming: true)
        return ProviderHTTP.events(
            response.body, OllamaStreamTranslator(provider: name, maxEventBytes: config.maxEventBytes))
    }

    func embed(upstreamModel: String, input: [String], timeouts: UpstreamTimeouts, headers: [(String, String)])
        async throws -> ProviderEmbedding
    {
        let json: JSON = ["model": .string(upstreamModel), "input": .array(input.map(JSON.string))]
        let answer = try await ProviderHTTP.json(
            try await send("/api/embed", JSONSerializer.serialize(json), timeouts: timeouts, headers: headers),
            provider: config)
        return try OllamaAnswer.embedding(answer, inputs: input.count, provider: name)
    }

    func discoverModels(timeouts: UpstreamTimeouts) async throws -> [DiscoveredModel] {
        let response = try await client.send(UpstreamRequest(url: config.endpoint + "/api/tags", timeouts: timeouts))
        try await ProviderHTTP.check(response, provider: name, message: Self.errorMessage)
        let names = OllamaAnswer.modelNames(try await ProviderHTTP.json(response, provider: config))
        var models: [DiscoveredModel] = []
        for model in names {
            if let known = shown.withLock({ $0[model] }) {
                models.append(known)
            } else if let details = try? await show(model, timeouts: timeouts) {
                shown.withLock { $0[model] = details }
                models.append(details)
            } else {
                models.append(DiscoveredModel(name: model))
            }
        }
        return models
    }

    private func show(_ model: String, timeouts: UpstreamTimeouts) async throws -> DiscoveredModel {
        let answer = try await ProviderHTTP.json(
            try await send("/api/show", JSONSerializer.serialize(["model": .string(model)]), timeouts: timeouts),
            provider: config)
        return OllamaAnswer.model(model, shown: answer)
    }
}

/// Ollama's NDJSON stream: `response` (generate) or `message.content` (chat) deltas, then a `done` line
/// with `done_reason` and the counts; `{"error": …}` lines are failures.
struct OllamaStreamTranslator: StreamTranslator {
    let provider: String
    private var decoder: NDJSONDecoder
    private var state: State

    /// What the translation carries from line to line.
    private struct State {
        var done = false
        /// Tool calls seen so far: Ollama sends each whole, without an id, so they are numbered here.
        var calls = 0
        /// The shape of this stream's text lines, once one was read in full (its holes: `created_at` and
        /// the content).
        var shape: RepeatedChunkShape
        var linesReadFromShape = 0
    }

    /// How many lines were read from their shape rather than in full.
    var linesReadFromShape: Int { state.linesReadFromShape }

    /// `learnsShapes: false` reads every line in full (tests compare the two).
    init(provider: String, maxEventBytes: Int = SSEDecoder.defaultMaxEventBytes, learnsShapes: Bool = true) {
        self.provider = provider
        decoder = NDJSONDecoder(maxLineBytes: maxEventBytes)
        state = State(shape: RepeatedChunkShape(learns: learnsShapes))
    }

    static func finishReason(_ reason: String?) -> FinishReason {
        reason == "length" ? .length : .stop
    }

    mutating func feed(_ bytes: Swift.Span<UInt8>, into events: inout [ProviderEvent]) throws {
        // The visitor keeps its own copy of the state: it cannot reach `self` while `decoder` is in use.
        var state = self.state
        defer { self.state = state }
        let provider = self.provider
        try decoder.decode(bytes) { try Self.translate($0, provider: provider, &state, into: &events) }
    }

    mutating func finish() throws -> [ProviderEvent] {
        var tail: [ProviderEvent] = []
        if let line = decoder.finishLine() {
            try line.withUnsafeBufferPointer { try Self.translate($0, provider: provider, &state, into: &tail) }
        }
        guard state.done else {
            throw GatewayError(.providerError, "provider \(provider) ended the stream before it was done")
        }
        return tail
    }

    /// One line's events: from its shape when it has the learnt one, or its fields read in one pass (no
    /// tree), a repeated key keeping its last value.
    private static func translate(
        _ bytes: UnsafeBufferPointer<UInt8>, provider: String, _ state: inout State,
        into events: inout [ProviderEvent]
    ) throws {
        if state.shape.read(bytes, into: &events) { return state.linesReadFromShape += 1 }
        // Read in place: built and returned, the line was copied whole.
        var line = Line()
        do {
            try JSONReader.read(bytes) { try line.read(&$0) }
        } catch let error as JSONParseError {
            throw GatewayError(.providerError, "provider \(provider) sent a malformed stream line (\(error))")
        }
        if let holes = line.textOnlyHoles {
            state.shape.learn(bytes, holes: holes.ranges, text: holes.text)
        }
        if let message = line.error {
            throw GatewayError(.providerError, "provider \(provider) failed mid-stream: \(message)")
        }
        if let thinking = line.thinking ?? line.message.thinking, !thinking.isEmpty {
            events.append(.reasoning(ReasoningPart(text: thinking)))
        }
        let text = line.response ?? line.message.content ?? ""
        if !text.isEmpty { events.append(.delta(text)) }
        for call in OllamaChatFormat.toolCalls(line.message.toolCalls, numberedFrom: state.calls) {
            state.calls += 1
            events.append(.toolCall(call))
        }
        if line.done == true {
            state.done = true
            events.append(.usage(input: line.promptEvalCount, output: line.evalCount, cachedInput: nil))
            events.append(.stopDetails(StopDetails(providerReason: line.doneReason ?? "")))
            events.append(.finish(state.calls > 0 ? .toolUse : Self.finishReason(line.doneReason)))
        }
    }

    /// The fields of one stream line the translation needs.
    private struct Line {
        var error: String?
        var thinking: String?
        var response: String?
        var message = Message()
        var done: Bool?
        var promptEvalCount: Int?
        var evalCount: Int?
        var doneReason: String?
        /// Where `created_at` stood, quotes included: it changes from line to line, and nothing reads it.
        var createdAt: Range<Int>?

        struct Message {
            var content: String?
            /// Where `content` stood, quotes included.
            var contentRange: Range<Int>?
            var thinking: String?
            var toolCalls: JSON?
        }

        /// The strings a stream's next text lines may change (`created_at` and the content, in document
        /// order), and which is the text, when this line is text and nothing else.
        var textOnlyHoles: (ranges: [Range<Int>], text: Int)? {
            guard error == nil, thinking == nil, response == nil, done != true, message.thinking == nil,
                message.toolCalls == nil, let content = message.contentRange
            else { return nil }
            guard let createdAt else { return ([content], 0) }
            return createdAt.lowerBound < content.lowerBound ? ([createdAt, content], 1) : ([content, createdAt], 0)
        }

        mutating func read(_ reader: inout JSONReader) throws {
            try reader.members { reader, key in
                if key == "message" {
                    message = Message()
                    try reader.members { reader, key in
                        if key == "content" {
                            let start = reader.offset
                            message.content = try reader.string()
                            message.contentRange = message.content == nil ? nil : start..<reader.offset
                        } else if key == "thinking" {
                            message.thinking = try reader.string()
                        } else if key == "tool_calls" {
                            message.toolCalls = try reader.json()
                        }
                    }
                } else if key == "response" {
                    response = try reader.string()
                } else if key == "done" {
                    done = try reader.bool()
                } else if key == "thinking" {
                    thinking = try reader.string()
                } else if key == "error" {
                    error = try reader.string()
                } else if key == "prompt_eval_count" {
                    promptEvalCount = try reader.count()
                } else if key == "eval_count" {
                    evalCount = try reader.count()
                } else if key == "done_reason" {
                    doneReason = try reader.string()
                } else if key == "created_at" {
                    createdAt = try reader.stringRange()
                }
            }
        }
    }
}
