/// The in-process `echo` model, a diagnostic that needs no network: it answers with the prompt (or the last
/// message) word by word, counts words as tokens, honours `max_tokens` and stop sequences, and can wait
/// `token_delay_ms` between tokens to stand in for a slow model in tests and benchmarks.
struct BuiltinProvider: Provider {
    static let echoModel = "echo"
    let config: ProviderConfig

    /// The reply as tokens: words with their leading space, cut at a stop sequence or `max_tokens`.
    ///
    /// Linear in the prompt (it runs on the request's event loop): one pass over its Unicode scalars, which
    /// ends once `max_tokens` words are found; stop sequences are found with glibc's linear `memmem`.
    static func reply(to request: GenerateRequest) -> (tokens: [String], finish: FinishReason) {
        var text = Substring(request.messages.last(where: { $0.role == "user" })?.content ?? request.prompt)
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
        request.conversation.reduce(0) { $0 + $1.content.split(whereSeparator: \.isWhitespace).count }
    }

    func complete(_ call: ProviderCall) async throws -> ProviderCompletion {
        let (tokens, finish) = Self.reply(to: call.request)
        if config.tokenDelayMs > 0 {
            try await Task.sleep(for: .milliseconds(config.tokenDelayMs * tokens.count))
        }
        return ProviderCompletion(
            content: tokens.joined(), tokensInput: Self.countTokens(call.request), tokensOutput: tokens.count,
            cachedInput: 0, finishReason: finish)
    }

    func stream(_ call: ProviderCall) async throws -> ProviderEventStream {
        let (tokens, finish) = Self.reply(to: call.request)
        let input = Self.countTokens(call.request)
        let delay = config.tokenDelayMs
        var events = tokens.map(ProviderEvent.delta)
        events.append(.usage(input: input, output: tokens.count, cachedInput: 0))
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
        [DiscoveredModel(name: Self.echoModel, contextLength: 1_000_000, capabilities: [.generate, .chat, .stream])]
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
