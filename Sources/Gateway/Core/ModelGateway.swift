/// The one entry point both front doors call: generation (whole or streamed), embeddings, the model list,
/// one model, and health — in the Gateway's own message types, with no wire protocol of its own.
public final class ModelGateway: Sendable {
    public static let version = "0.1.0"

    public let config: GatewayConfig
    public let registry: ModelRegistry
    public let usage = UsageLedger()
    public let metrics = GatewayMetrics()
    public let authenticator: Authenticator
    public let breaker: CircuitBreaker
    public let logger = RequestLogger()
    public let tracer = Tracer()
    let router: RequestRouter
    let prober: ProviderProber
    private let startedAt = ContinuousClock.now
    /// When the gateway started, for usage reports.
    public let startedAtRFC3339 = WallClock.rfc3339()

    public init(
        config: GatewayConfig, client: HTTPClient = HTTPClient(),
        rateLimits: (any RateLimitStore)? = nil
    ) {
        self.config = config
        let providers = config.providers.map { ProviderFactory.make($0, client: client) }
        registry = ModelRegistry(config: config, providers: providers)
        authenticator = Authenticator(keys: config.apiKeys)
        breaker = CircuitBreaker(
            threshold: config.breakerThreshold, cooldown: .milliseconds(Int(config.breakerCooldownS * 1000)))
        var concurrency: [String: ConcurrencyLimiter] = [:]
        for provider in config.providers {
            if let limit = provider.maxConcurrency { concurrency[provider.name] = ConcurrencyLimiter(limit: limit) }
        }
        router = RequestRouter(
            registry: registry, planner: FailoverPlanner(registry: registry, strategies: config.failoverStrategies),
            limiter: RateLimiter(store: rateLimits ?? Self.rateLimitStore(config, metrics: metrics.registry)),
            breaker: breaker,
            concurrency: concurrency, metrics: metrics, tracer: tracer,
            keyLimit: config.keyRateLimit, maxRetries: config.retries)
        prober = ProviderProber(registry: registry, interval: config.probeIntervalS, breaker: breaker)
    }

    /// Redis when `rate_limits.redis_url` is set (shared by every replica), else process memory.
    static func rateLimitStore(_ config: GatewayConfig, metrics: MetricsRegistry) -> any RateLimitStore {
        if !config.redisURL.isEmpty,
            let redis = RedisRateLimitStore(
                url: config.redisURL, timeout: .milliseconds(config.redisTimeoutMs), metrics: metrics)
        {
            return redis
        }
        return InProcessRateLimitStore()
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
        registry.info(try Self.found(registry.resolve(name), name))
    }

    /// The model a request named, or 404.
    static func found(_ entry: ModelEntry?, _ name: String) throws(GatewayError) -> ModelEntry {
        guard let entry else { throw GatewayError(.notFound, "unknown model \"\(name)\"") }
        return entry
    }

    // MARK: health

    /// A provider's state as reported: its probe result, or down while its circuit is open.
    private func reportedStatus(_ provider: any Provider) -> ProviderStatus {
        var status = registry.status(of: provider.name)
        if status.state == .up, breaker.isOpen(provider.name) {
            status = ProviderStatus(
                state: .down, latencyMs: status.latencyMs, error: "circuit open after repeated failures")
        }
        return status
    }

    public func health(detailed: Bool) async -> HealthResponse {
        if detailed { await prober.probeAllShared() }
        let providers = registry.providers.map { provider in
            let status = reportedStatus(provider)
            return ProviderHealth(
                name: provider.name, type: provider.config.kind.rawValue,
                endpoint: Self.redacted(provider.config.endpoint),
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

    /// An endpoint without any `user:password@` part, for reports.
    static func redacted(_ endpoint: String) -> String {
        guard let scheme = endpoint.range(of: "://") else { return endpoint }
        let rest = endpoint[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" }
        guard let at = authority.lastIndex(of: "@") else { return endpoint }
        return String(endpoint[..<scheme.upperBound]) + rest[rest.index(after: at)...]
    }

    /// The Prometheus exposition, with provider gauges read at scrape time.
    public func renderMetrics() -> String {
        for provider in registry.providers {
            metrics.registry.set("gateway_provider_up", [provider.name], reportedStatus(provider).state == .up ? 1 : 0)
        }
        return metrics.registry.render()
    }

    // MARK: generation

    /// One request's span and the trace context its provider calls continue.
    struct RequestSpan: Sendable {
        let span: Tracer.ActiveSpan?
        let trace: TraceContext?

        func end(error: String? = nil, _ attributes: [(String, JSON)] = []) { span?.end(error: error, attributes) }
    }

    /// Counts, traces and logs the request however it ends. `body` returns the provider that answered and
    /// whether the request is over (a stream ends later, in `streamEnded`).
    private func instrumented<T>(
        _ method: String, model: String, context: CallContext, endsLater: Bool = false,
        _ body: (RequestSpan, ModelEntry?) async throws -> (T, provider: String)
    ) async throws -> T {
        // In flight until answered; a stream that started is in flight until `streamEnded`.
        metrics.inflight.increment()
        var answered = false
        defer { if !(answered && endsLater) { metrics.inflight.decrement() } }
        // Label values must come from the configuration, not from clients, or the label set grows without bound.
        let requested = registry.resolve(model)
        let model = requested?.name ?? "unknown"
        let incoming = TraceContext(traceparent: context.traceparent)
        let span = tracer.start(method, parent: incoming, kind: .server)
        let request = RequestSpan(span: span, trace: span?.context ?? incoming)
        do {
            let (result, provider) = try await body(request, requested)
            answered = true
            metrics.registry.add("gateway_requests_total", [method, model, provider, "ok"])
            return result
        } catch {
            let code = (error as? GatewayError)?.kind.rawValue ?? "cancelled"
            metrics.registry.add("gateway_requests_total", [method, model, "", code])
            observeEnd(method, context)
            logger.request(method: method, context: context, model: model, provider: "", status: code)
            request.end(error: code, [("gateway.request_id", .string(context.requestID))])
            throw error
        }
    }

    /// Duration and overhead of a finished call.
    func observeEnd(_ method: String, _ context: CallContext) {
        metrics.registry.observe(
            "gateway_request_duration_seconds", [method],
            (ContinuousClock.now - context.timing.started).milliseconds / 1000)
        metrics.registry.observe("gateway_overhead_seconds", [method], context.timing.overheadSeconds)
    }

    /// Usage, cost, metrics, log line and span of a call that ended with an answer.
    private func finish(
        _ method: String, _ attempt: Attempt, _ context: CallContext, _ span: RequestSpan, input: Int, output: Int,
        cachedInput: Int, status: String = "ok"
    ) -> Double {
        let cost = attempt.model.pricing.cost(input: input, output: output, cachedInput: cachedInput)
        let provider = attempt.route.provider.name
        usage.record(
            model: attempt.model.name, provider: provider, apiKey: context.apiKey, input: input, output: output,
            cost: cost)
        let labels = [attempt.model.name, provider]
        metrics.registry.add("gateway_tokens_total", labels + ["prompt"], Double(input))
        metrics.registry.add("gateway_tokens_total", labels + ["completion"], Double(output))
        metrics.registry.add("gateway_cost_usd_total", labels, cost)
        observeEnd(method, context)
        logger.request(
            method: method, context: context, model: attempt.model.name, provider: provider, status: status,
            tokensInput: input, tokensOutput: output)
        span.end(
            error: status == "ok" ? nil : status,
            [
                ("gateway.request_id", .string(context.requestID)), ("gateway.model", .string(attempt.model.name)),
                ("gateway.provider", .string(provider)), ("gen_ai.usage.input_tokens", .number(Double(input))),
                ("gen_ai.usage.output_tokens", .number(Double(output))),
            ])
        return cost
    }

    public func generate(_ request: GenerateRequest, context: CallContext) async throws -> GenerateResponse {
        try await instrumented("generate", model: request.model, context: context) { span, entry in
            try RequestValidation.validate(request)
            let requested = try Self.found(entry, request.model)
            let (answer, attempt) = try await router.run(
                requested, needing: .generate, context: context, trace: span.trace
            ) {
                attempt, settings in
                try await attempt.route.provider.complete(
                    ProviderCall(attempt, settings, request))
            }
            let cost = finish(
                "generate", attempt, context, span, input: answer.tokensInput, output: answer.tokensOutput,
                cachedInput: answer.cachedInput)
            let response = GenerateResponse(
                id: RequestID.generation(), model: attempt.model.name, provider: attempt.route.provider.name,
                content: answer.content, tokensInput: answer.tokensInput, tokensOutput: answer.tokensOutput,
                latencyMs: (ContinuousClock.now - context.timing.started).milliseconds,
                finishReason: answer.finishReason,
                metadata: request.metadata, costUSD: cost,
                requestedModel: attempt.model.name == requested.name ? nil : requested.name)
            return (response, attempt.route.provider.name)
        }
    }

    /// Starts a streamed generation. Returns once one attempt produced real content (failing over before
    /// that); the stream then never switches models, and an upstream failure ends it with an error.
    public func streamGenerate(_ request: GenerateRequest, context: CallContext) async throws -> GenerationStream {
        try await instrumented("stream_generate", model: request.model, context: context, endsLater: true) {
            span, entry in
            try RequestValidation.validate(request)
            let requested = try Self.found(entry, request.model)
            let (relay, attempt) = try await router.run(
                requested, needing: .stream, context: context, trace: span.trace
            ) {
                attempt, settings in
                let events = try await attempt.route.provider.stream(
                    ProviderCall(attempt, settings, request))
                let relay = StreamRelay(
                    events: events, attempt: attempt, requested: requested, request: request, context: context,
                    permit: settings.permit, span: span, gateway: self)
                try await relay.awaitFirstContent()
                return relay
            }
            metrics.registry.observe(
                "gateway_time_to_first_token_seconds", [attempt.model.name, attempt.route.provider.name],
                (ContinuousClock.now - context.timing.started).milliseconds / 1000)
            return (relay.chunks(), attempt.route.provider.name)
        }
    }

    /// What a stream reports when it ends (or is dropped): usage, cost, duration, overhead, log line and span.
    func streamEnded(
        _ attempt: Attempt, _ context: CallContext, _ span: RequestSpan, input: Int, output: Int, cachedInput: Int,
        status: String
    ) -> Double {
        metrics.inflight.decrement()
        return finish(
            "stream_generate", attempt, context, span, input: input, output: output, cachedInput: cachedInput,
            status: status)
    }

    // MARK: embeddings

    public func embed(_ request: EmbedRequest, context: CallContext) async throws -> EmbedResponse {
        try await instrumented("embed", model: request.model, context: context) { span, entry in
            try RequestValidation.validate(request)
            let requested = try Self.found(entry, request.model)
            guard requested.hasCapability(.embedding) else {
                throw GatewayError.invalid("model", "\(requested.name) has no embedding capability")
            }
            let (answer, attempt) = try await router.run(
                requested, needing: .embedding, context: context, trace: span.trace
            ) {
                attempt, settings in
                try await attempt.route.provider.embed(
                    upstreamModel: attempt.route.upstreamModel, input: request.input, timeouts: settings.timeouts,
                    headers: settings.headers)
            }
            _ = finish("embed", attempt, context, span, input: answer.tokensInput, output: 0, cachedInput: 0)
            let response = EmbedResponse(
                model: attempt.model.name, provider: attempt.route.provider.name, embeddings: answer.embeddings,
                tokensInput: answer.tokensInput, latencyMs: (ContinuousClock.now - context.timing.started).milliseconds)
            return (response, attempt.route.provider.name)
        }
    }
}
