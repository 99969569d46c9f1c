/// A streamed answer from a provider, relayed as `GenerateChunk`s.
public typealias GenerationStream = AsyncThrowingStream<GenerateChunk, any Error>

/// Turns one attempt's provider events into chunks: the events up to the first content are held (so the
/// gateway can still fail over), then everything flows; the end carries totals and cost, and usage is
/// recorded however the stream ends.
final class StreamRelay: @unchecked Sendable {
    private var iterator: ProviderEventStream.AsyncIterator
    private let attempt: Attempt
    private let requested: ModelEntry
    private let request: GenerateRequest
    private let context: CallContext
    /// Held until the stream ends: the provider's concurrency slot.
    private let permit: ConcurrencyLimiter.Permit?
    private let span: ModelGateway.RequestSpan
    private let gateway: ModelGateway
    private let id = RequestID.generation()
    private var held: [ProviderEvent] = []
    private var tokensInput = 0
    private var tokensOutput: Int?
    /// Text pieces relayed: the output count when the stream is cut before the provider reports usage.
    private var deltas = 0
    private var cachedInput = 0
    private var finishReason: FinishReason = .stop
    private var finished = false
    private var recorded = false
    /// Set once the chunks went to the client. Before that, a failure is the request's to report (it may
    /// still fail over), so an attempt dropped there records nothing of its own.
    private var handedOut = false

    init(
        events: ProviderEventStream, attempt: Attempt, requested: ModelEntry, request: GenerateRequest,
        context: CallContext, permit: ConcurrencyLimiter.Permit?, span: ModelGateway.RequestSpan, gateway: ModelGateway
    ) {
        iterator = events.makeAsyncIterator()
        self.attempt = attempt
        self.requested = requested
        self.request = request
        self.context = context
        self.permit = permit
        self.span = span
        self.gateway = gateway
    }

    deinit {
        if handedOut { recordUsage(status: "cancelled") }  // a client that went away still pays for its tokens
    }

    /// Reads until the first text (or the end); errors here are still eligible for failover.
    func awaitFirstContent() async throws {
        while let event = try await iterator.next() {
            held.append(event)
            switch event {
            case .delta: return
            case .finish: continue
            case .usage: continue
            }
        }
    }

    func chunks() -> GenerationStream {
        handedOut = true
        return GenerationStream(unfolding: { [self] in try await nextChunk() })
    }

    private func chunk(_ content: String) -> GenerateChunk {
        GenerateChunk(id: id, model: attempt.model.name, provider: attempt.route.provider.name, content: content)
    }

    private func nextEvent() async throws -> ProviderEvent? {
        if !held.isEmpty { return held.removeFirst() }
        return try await context.timing.measure { try await iterator.next() }
    }

    private func nextChunk() async throws -> GenerateChunk? {
        guard !finished else { return nil }
        do {
            while let event = try await nextEvent() {
                switch event {
                case .delta(let text):
                    deltas += 1
                    return chunk(text)
                case .usage(let input, let output, let cached):
                    tokensInput = input ?? tokensInput
                    tokensOutput = output ?? tokensOutput
                    cachedInput = cached ?? cachedInput
                case .finish(let reason):
                    finishReason = reason
                }
            }
        } catch {
            recordUsage(status: (error as? GatewayError)?.kind.rawValue ?? "cancelled")
            throw error
        }
        finished = true
        let cost = recordUsage(status: "ok")
        var last = chunk("")
        last.done = true
        last.finishReason = finishReason
        last.tokensInput = tokensInput
        last.tokensOutput = tokensOutput ?? deltas
        last.latencyMs = (ContinuousClock.now - context.timing.started).milliseconds
        last.costUSD = cost
        last.metadata = request.metadata
        last.requestedModel = attempt.model.name == requested.name ? nil : requested.name
        return last
    }

    @discardableResult
    private func recordUsage(status: String) -> Double {
        let output = tokensOutput ?? deltas
        guard !recorded else {
            return attempt.model.pricing.cost(input: tokensInput, output: output, cachedInput: cachedInput)
        }
        recorded = true
        return gateway.streamEnded(
            attempt, context, span, input: tokensInput, output: output, cachedInput: cachedInput, status: status)
    }
}
