/// The in-process `echo` model, a diagnostic that needs no network: it answers with the prompt (or the last
/// message) word by word, counts words as tokens, honours `max_tokens` and stop sequences, and can wait
/// `token_delay_ms` between tokens to stand in for a slow model in tests and benchmarks.
///
/// Diagnostics for tools and JSON output, so a fresh install can show both without any provider: with tools
/// offered, a last user message `call <name>` (or a `tool_choice` that forces one) makes it call that tool
/// with `{}`; with a JSON response format it answers `{"echo": "<the text>"}`.
struct BuiltinProvider: Provider {
    static let echoModel = "echo"
    let config: ProviderConfig
    var name: String { config.name }

    /// The reply as tokens: words with their leading space, cut at a stop sequence or `max_tokens`.
    ///
    /// Linear in the prompt (it runs on the request's event loop): one pass over its Unicode scalars, which
    /// ends once `max_tokens` words are found; stop sequences are found with glibc's linear `memmem`.
    static func reply(to request: GenerateRequest) -> (tokens: [String], finish: FinishReason) {
        var text = Substring(request.messages.last(where: { $0.role == "user" })?.text ?? request.prompt)
        for stop in request.stopSequences where !stop.isEmpty {
            if let cut = ByteSearch.firstOffset(of: stop, in: text) {
                text = Substring(text.utf8.prefix(cut))
            }
        }
        let limit = request.effectiveMaxTokens
        var tokens: [String] = []
        let scalars = text.unicodeScalars
        var start = scalars.startIndex
        var index = start
        var sawWord = false
        while index < scalars.endIndex {
            let isSpace = scalars[index].properties.isWhitespace
            if isSpace, sawWord {
                tokens.append(String(scalars[start..<index]))
                if tokens.count > limit { break }
                start = index
                sawWord = false
            } else if !isSpace {
                sawWord = true
            }
            scalars.formIndex(after: &index)
        }
        if tokens.count <= limit, start < scalars.endIndex { tokens.append(String(scalars[start...])) }
        guard tokens.count > limit else { return (tokens, .stop) }
        return (Array(tokens.prefix(limit)), .length)
    }

    static func countTokens(_ request: GenerateRequest) -> Int {
        request.conversation.reduce(0) { $0 + $1.text.split(whereSeparator: \.isWhitespace).count }
    }

    /// The tool call the diagnostic makes, if any: the one `tool_choice` forces, else `call <name>` as the
    /// last user message naming an offered tool.
    static func toolCall(for request: GenerateRequest) -> ToolCall? {
        guard !request.tools.isEmpty, request.toolChoice?.mode != ToolChoice.Mode.none else { return nil }
        var name: String?
        switch request.toolChoice?.mode {
        case .tool?: name = request.toolChoice?.name
        case .required?: name = request.tools[0].name
        default:
            let said = (request.messages.last(where: { $0.role == "user" })?.text ?? request.prompt)
                .split(whereSeparator: \.isWhitespace)
            if said.count == 2, said[0] == "call", request.tools.contains(where: { $0.name == said[1] }) {
                name = String(said[1])
            }
        }
        return name.map { ToolCall(id: "call-1", name: $0, arguments: "{}") }
    }

    /// The answer: a tool call, the echo as a JSON object, or the echo's tokens.
    static func answer(to request: GenerateRequest) -> (tokens: [String], finish: FinishReason, call: ToolCall?) {
        if let call = toolCall(for: request) { return ([], .toolUse, call) }
        let (tokens, finish) = reply(to: request)
        guard let format = request.responseFormat, format.type != .text else { return (tokens, finish, nil) }
        let json: JSON = ["echo": .string(tokens.joined().trimmingLeadingSpaces)]
        return ([String(decoding: JSONSerializer.serialize(json), as: UTF8.self)], finish, nil)
    }

    func complete(_ call: ProviderCall) async throws -> ProviderCompletion {
        let (tokens, finish, toolCall) = Self.answer(to: call.request)
        if config.tokenDelayMs > 0 {
            try await Task.sleep(for: .milliseconds(config.tokenDelayMs * tokens.count))
        }
        return ProviderCompletion(
            content: tokens.joined(), tokensInput: Self.countTokens(call.request),
            tokensOutput: max(tokens.count, toolCall == nil ? 0 : 1), cachedInput: 0, finishReason: finish,
            toolCalls: toolCall.map { [$0] } ?? [])
    }

    func stream(_ call: ProviderCall) async throws -> ProviderEventStream {
        let (tokens, finish, toolCall) = Self.answer(to: call.request)
        let input = Self.countTokens(call.request)
        let delay = config.tokenDelayMs
        var events = tokens.map(ProviderEvent.delta)
        if let toolCall {
            events.append(.toolCall(ToolCallDelta(index: 0, id: toolCall.id, name: toolCall.name)))
            events.append(.toolCall(ToolCallDelta(index: 0, arguments: toolCall.arguments)))
        }
        events.append(.usage(input: input, output: max(tokens.count, toolCall == nil ? 0 : 1), cachedInput: 0))
        events.append(.finish(finish))
        let iterator = EventList(events)
        return ProviderEventStream(unfolding: {
            guard let event = iterator.next() else { return nil }
            if delay > 0, case .delta = event, iterator.position > 1 { try await Task.sleep(for: .milliseconds(delay)) }
            return event
        })
    }

    func embed(upstreamModel: String, input: [String], timeouts: UpstreamTimeouts, headers: [(String, String)])
        async throws -> ProviderEmbedding
    {
        throw GatewayError(.invalidRequest, "the builtin echo model offers no embeddings")
    }

    func discoverModels(timeouts: UpstreamTimeouts) async throws -> [DiscoveredModel] {
        [
            DiscoveredModel(
                name: Self.echoModel, contextLength: 1_000_000,
                capabilities: [.generate, .chat, .stream, .tools, .jsonOutput])
        ]
    }
}

/// A list handed out one element at a time to the single consumer of a stream.
private final class EventList: @unchecked Sendable {
    private let events: [ProviderEvent]
    private(set) var position = 0

    init(_ events: [ProviderEvent]) {
        self.events = events
    }

    func next() -> ProviderEvent? {
        guard position < events.count else { return nil }
        defer { position += 1 }
        return events[position]
    }
}

extension String {
    fileprivate var trimmingLeadingSpaces: String { String(drop { $0 == " " }) }
}
