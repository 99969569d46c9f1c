/// The one entry point both front doors call: generation (whole or streamed), embeddings, the model list,
/// one model, and health — in the Gateway's own message types, with no wire protocol of its own.
public final class ModelGateway: Sendable {
    public static let version = "0.1.0"

    public let config: GatewayConfig
    public let registry: ModelRegistry
    public let usage = UsageLedger()
    let planner: FailoverPlanner
    let prober: ProviderProber
    private let startedAt = ContinuousClock.now
    /// When the gateway started, for usage reports.
    public let startedAtRFC3339 = WallClock.rfc3339()

    public init(config: GatewayConfig, client: HTTPClient = HTTPClient()) {
        self.config = config
        let providers = config.providers.map { ProviderFactory.make($0, client: client) }
        registry = ModelRegistry(config: config, providers: providers)
        planner = FailoverPlanner(registry: registry, strategies: config.failoverStrategies)
        prober = ProviderProber(registry: registry, interval: config.probeIntervalS)
    }

    /// Starts the periodic provider probes; the returned task runs until cancelled.
    @discardableResult
    public func startProbing() -> Task<Void, Never> {
        let prober = self.prober
        return Task { await prober.run() }
    }

    /// Probes every provider once and waits for the answers.
    public func probeNow() async {
        await prober.probeAll()
    }

    // MARK: models

    public func listModels(provider: String? = nil) -> ListModelsResponse {
        let models = registry.entries().map(registry.info).filter { info in
            provider.map { info.providers.contains($0) } ?? true
        }
        return ListModelsResponse(models: models, aliases: registry.aliases)
    }

    public func model(named name: String) throws(GatewayError) -> ModelInfo {
        guard let entry = registry.resolve(name) else { throw GatewayError(.notFound, "unknown model \"\(name)\"") }
        return registry.info(entry)
    }

    func resolve(_ name: String) throws(GatewayError) -> ModelEntry {
        guard let entry = registry.resolve(name) else { throw GatewayError(.notFound, "unknown model \"\(name)\"") }
        return entry
    }

    // MARK: health

    public func health(detailed: Bool) async -> HealthResponse {
        if detailed { await prober.probeAll() }
        let providers = registry.providers.map { provider in
            let status = registry.status(of: provider.name)
            return ProviderHealth(
                name: provider.name, type: provider.config.kind.rawValue, endpoint: provider.config.endpoint,
                status: status.state.rawValue, latencyMs: status.latencyMs, error: status.error)
        }
        let active = providers.filter { $0.status != ProviderStatus.State.inactive.rawValue }
        let up = active.filter { $0.status == ProviderStatus.State.up.rawValue }.count
        let down = active.filter { $0.status == ProviderStatus.State.down.rawValue }.count
        let status = up == 0 && down > 0 ? "unhealthy" : (down > 0 ? "degraded" : "healthy")
        return HealthResponse(
            status: status, version: Self.version, uptimeS: (ContinuousClock.now - startedAt).milliseconds / 1000,
            providers: detailed ? providers : [])
    }

    // MARK: generation

    public func generate(_ request: GenerateRequest, context: CallContext) async throws -> GenerateResponse {
        try RequestValidation.validate(request)
        let started = ContinuousClock.now
        let requested = try resolve(request.model)
        var lastError: GatewayError?
        for attempt in planner.plan(for: requested, needing: .generate) {
            let call = ProviderCall(
                upstreamModel: attempt.route.upstreamModel, request: request, api: attempt.model.api,
                timeouts: try context.timeouts(attempt.route.provider.config.timeouts))
            do {
                let answer = try await attempt.route.provider.complete(call)
                let cost = attempt.model.pricing.cost(
                    input: answer.tokensInput, output: answer.tokensOutput, cachedInput: answer.cachedInput)
                usage.record(
                    model: attempt.model.name, provider: attempt.route.provider.name, apiKey: context.apiKey,
                    input: answer.tokensInput, output: answer.tokensOutput, cost: cost)
                return GenerateResponse(
                    id: RequestID.generation(), model: attempt.model.name, provider: attempt.route.provider.name,
                    content: answer.content, tokensInput: answer.tokensInput, tokensOutput: answer.tokensOutput,
                    latencyMs: (ContinuousClock.now - started).milliseconds, finishReason: answer.finishReason,
                    metadata: request.metadata, costUSD: cost,
                    requestedModel: attempt.model.name == requested.name ? nil : requested.name)
            } catch let error as GatewayError where error.allowsFailover {
                noteFailure(error, of: attempt)
                lastError = error
            }
        }
        throw exhausted(requested, lastError)
    }

    /// Starts a streamed generation. Returns once one attempt produced real content (failing over before
    /// that); the stream then never switches models, and an upstream failure ends it with an error.
    public func streamGenerate(_ request: GenerateRequest, context: CallContext) async throws -> GenerationStream {
        try RequestValidation.validate(request)
        let started = ContinuousClock.now
        let requested = try resolve(request.model)
        var lastError: GatewayError?
        for attempt in planner.plan(for: requested, needing: .stream) {
            let call = ProviderCall(
                upstreamModel: attempt.route.upstreamModel, request: request, api: attempt.model.api,
                timeouts: try context.timeouts(attempt.route.provider.config.timeouts))
            do {
                let events = try await attempt.route.provider.stream(call)
                let relay = StreamRelay(
                    events: events, attempt: attempt, requested: requested, request: request, context: context,
                    started: started, usage: usage)
                try await relay.awaitFirstContent()
                return relay.chunks()
            } catch let error as GatewayError where error.allowsFailover {
                noteFailure(error, of: attempt)
                lastError = error
            }
        }
        throw exhausted(requested, lastError)
    }

    // MARK: embeddings

    public func embed(_ request: EmbedRequest, context: CallContext) async throws -> EmbedResponse {
        try RequestValidation.validate(request)
        let started = ContinuousClock.now
        let requested = try resolve(request.model)
        guard requested.hasCapability(.embedding) else {
            throw GatewayError.invalid("model", "\(requested.name) has no embedding capability")
        }
        var lastError: GatewayError?
        for attempt in planner.plan(for: requested, needing: .embedding) {
            do {
                let answer = try await attempt.route.provider.embed(
                    upstreamModel: attempt.route.upstreamModel, input: request.input,
                    timeouts: try context.timeouts(attempt.route.provider.config.timeouts))
                let cost = attempt.model.pricing.cost(input: answer.tokensInput, output: 0)
                usage.record(
                    model: attempt.model.name, provider: attempt.route.provider.name, apiKey: context.apiKey,
                    input: answer.tokensInput, output: 0, cost: cost)
                return EmbedResponse(
                    model: attempt.model.name, provider: attempt.route.provider.name, embeddings: answer.embeddings,
                    tokensInput: answer.tokensInput, latencyMs: (ContinuousClock.now - started).milliseconds)
            } catch let error as GatewayError where error.allowsFailover {
                noteFailure(error, of: attempt)
                lastError = error
            }
        }
        throw exhausted(requested, lastError)
    }

    // MARK: failures

    /// A provider that cannot be reached is marked down at once, so the next requests skip it.
    private func noteFailure(_ error: GatewayError, of attempt: Attempt) {
        if error.kind == .noProviderAvailable {
            registry.setStatus(
                attempt.route.provider.name, ProviderStatus(state: .down, latencyMs: 0, error: error.message))
        }
    }

    /// The error once every attempt failed: the last provider's error, or 503 when none could be tried.
    private func exhausted(_ model: ModelEntry, _ lastError: GatewayError?) -> GatewayError {
        lastError ?? GatewayError(.noProviderAvailable, "no provider is available for model \"\(model.name)\"")
    }
}
