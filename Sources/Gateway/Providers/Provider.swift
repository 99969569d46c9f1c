/// What a provider reports while it streams.
public enum ProviderEvent: Sendable, Equatable {
    /// A piece of the answer's text.
    case delta(String)
    /// A piece of a tool call (the first of a call carries its id and name).
    case toolCall(ToolCallDelta)
    /// A piece of reasoning (or a block's signature, or a redacted block).
    case reasoning(ReasoningPart)
    /// Counts beyond input and output, as the provider reports them: reasoning (part of the output) and
    /// input written to a cache (part of the input).
    case breakdown(reasoning: Int?, cacheWrite: Int?)
    /// The provider's own finish value and the stop sequence that matched, if it said.
    case stopDetails(StopDetails)
    /// Token counts as the provider reports them; nil parts are not known (yet).
    case usage(input: Int?, output: Int?, cachedInput: Int?)
    case finish(FinishReason)
}

/// A provider's streamed answer, pulled by its one consumer a batch at a time: the events of one read from the
/// network come together, so a burst of chunks costs one suspension rather than one each. A stream read from
/// the network can also push its batches (see `push`). Letting go of the stream (or cancelling the consumer)
/// cancels the upstream call.
public struct ProviderEventStream: Sendable {
    private let produce: @Sendable () async throws -> [ProviderEvent]?
    /// The network body the events come from, when they do.
    private let body: UpstreamBody?
    private let pushing: PushedEvents?

    /// A stream whose batches come from `produce`, which returns nil at the end; `body` is where they are
    /// read from, if from the network.
    public init(batches produce: @escaping @Sendable () async throws -> [ProviderEvent]?, body: UpstreamBody? = nil) {
        self.init(batches: produce, body: body, pushing: nil)
    }

    /// A stream that can also push its batches, as `pushing` says.
    init(
        batches produce: @escaping @Sendable () async throws -> [ProviderEvent]?, body: UpstreamBody?,
        pushing: PushedEvents?
    ) {
        self.produce = produce
        self.body = body
        self.pushing = pushing
    }

    /// A stream of one event at a time (the builtin models, tests).
    public init(unfolding next: @escaping @Sendable () async throws -> ProviderEvent?) {
        produce = { try await next().map { [$0] } }
        body = nil
        pushing = nil
    }

    /// Runs `reads` (a loop over `next()`) with one cancellation handler for all of them (see
    /// `UpstreamBody.withOneCancellationHandler`).
    public func withOneCancellationHandler<T>(_ reads: () async throws -> T) async rethrows -> T {
        guard let body else { return try await reads() }
        return try await body.withOneCancellationHandler(reads)
    }

    /// The next events (at least one); nil once the stream ended.
    public func next() async throws -> [ProviderEvent]? {
        while let batch = try await produce() {
            if !batch.isEmpty { return batch }
        }
        return nil
    }

    /// True when `push` can hand batches over on the calling thread's event loop.
    var pushesOnCurrentLoop: Bool { pushing?.onCurrentLoop() ?? false }

    /// Hands each batch (possibly empty) to `handle` as it arrives, on the event loop the bytes arrive on,
    /// without waking the calling task for each. Returns when `handle` returns false, when the stream ends,
    /// or at once when events wait to be read with `next()`; throws the stream's error.
    func push(_ handle: @escaping @Sendable ([ProviderEvent]) -> Bool) async throws {
        try await pushing?.push(handle)
    }
}

/// How a stream pushes its batches (see `ProviderEventStream.push`).
struct PushedEvents: Sendable {
    /// True when batches can be pushed on the calling thread: they arrive on its event loop.
    let onCurrentLoop: @Sendable () -> Bool
    let push: @Sendable (@escaping @Sendable ([ProviderEvent]) -> Bool) async throws -> Void
}

/// One call to one provider for one model, after alias resolution and routing.
public struct ProviderCall: Sendable {
    /// The model's name at the provider.
    public var upstreamModel: String
    public var request: GenerateRequest
    public var api: OpenAIAPIStyle
    public var timeouts: UpstreamTimeouts
    /// Headers the call carries beyond the provider's own (the trace context).
    public var headers: [(String, String)]

    public init(
        upstreamModel: String, request: GenerateRequest, api: OpenAIAPIStyle = .chat, timeouts: UpstreamTimeouts,
        headers: [(String, String)] = []
    ) {
        self.upstreamModel = upstreamModel
        self.request = request
        self.api = api
        self.timeouts = timeouts
        self.headers = headers
    }
}

/// A complete (non-streamed) answer.
public struct ProviderCompletion: Sendable, Equatable {
    public var content: String
    public var tokensInput: Int
    public var tokensOutput: Int
    public var cachedInput: Int
    public var finishReason: FinishReason
    public var toolCalls: [ToolCall] = []
    public var reasoning: [ReasoningPart] = []
    /// Reasoning tokens (of the output) and cache writes (of the input); cache reads are `cachedInput`.
    public var reasoningTokens: Int?
    public var cacheWrite = 0
    public var stop = StopDetails()
}

/// Embedding vectors, one per input.
public struct ProviderEmbedding: Sendable, Equatable {
    public var embeddings: [[Float]]
    public var tokensInput: Int
}

/// A model found on a provider's list endpoint.
public struct DiscoveredModel: Sendable, Equatable {
    public var name: String
    public var contextLength: Int?
    public var capabilities: [Capability]?
}

/// A backend that serves models: one implementation per API family, one file each.
public protocol Provider: Sendable {
    var config: ProviderConfig { get }
    /// `config.name`, implemented by each provider as a read of its stored config: read through the protocol,
    /// `config` copies the whole configuration (a retain and release of each of its strings), and the name
    /// is read several times per request.
    var name: String { get }
    func complete(_ call: ProviderCall) async throws -> ProviderCompletion
    /// Returns once the provider accepted the call (its errors before streaming are thrown here).
    func stream(_ call: ProviderCall) async throws -> ProviderEventStream
    func embed(upstreamModel: String, input: [String], timeouts: UpstreamTimeouts, headers: [(String, String)])
        async throws -> ProviderEmbedding
    /// Lists the provider's models; doubles as its health probe.
    func discoverModels(timeouts: UpstreamTimeouts) async throws -> [DiscoveredModel]
}

/// Builds the provider for a configuration entry.
public enum ProviderFactory {
    public static func make(_ config: ProviderConfig, client: HTTPClient = HTTPClient()) -> any Provider {
        switch config.kind {
        case .ollama: OllamaProvider(config: config, client: client)
        case .openai: OpenAIProvider(config: config, client: client)
        case .anthropic: AnthropicProvider(config: config, client: client)
        case .builtin: BuiltinProvider(config: config)
        }
    }
}
