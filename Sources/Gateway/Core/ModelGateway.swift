import Reactor

/// The one entry point every front door calls: admission, then generation (whole or streamed),
/// embeddings, the model list, one model, usage and health — in the Gateway's own message types, with no
/// wire protocol of its own. Its parts are its own: front doors ask it, they do not reach in.
public final class ModelGateway: Sendable {
    public static let version = "0.1.0"

    let usage = UsageLedger()
    let metrics = GatewayMetrics()
    let tracer = Tracer()
    let records: CallRecords
    let client: HTTPClient
    /// The current configuration's parts; swapped whole by `reload`.
    private let current: Locked<GatewayGeneration>
    /// The running probe task, restarted for each generation.
    private let probing = Locked<Task<Void, Never>?>(nil)
    /// The task writing usage to Redis each second, when the fleet shares usage.
    private let fleetSync = Locked<Task<Void, Never>?>(nil)
    private let startedAt = MonotonicInstant.now()
    /// When the gateway started, for usage reports.
    let startedAtRFC3339 = WallClock.rfc3339()

    /// The generation new calls start on.
    var generation: GatewayGeneration { current.withLock { $0 } }
    var config: GatewayConfig { generation.config }
    var registry: ModelRegistry { generation.registry }
    var breaker: CircuitBreaker { generation.breaker }
    var failover: FailoverExecutor { generation.failover }
    var prober: ProviderProber { generation.prober }

    public init(
        config: GatewayConfig, client: HTTPClient = HTTPClient(),
        rateLimits: (any RateLimitStore)? = nil
    ) {
        self.client = client
        records = CallRecords(usage: usage, metrics: metrics, logger: RequestLogger(), tracer: tracer)
        current = Locked(
            GatewayGeneration(config: config, client: client, rateLimits: rateLimits, metrics: metrics, tracer: tracer))
    }

    /// The admission step every front door takes first (see `Admission`).
    public func admit(_ call: ArrivingCall) -> Admission {
        generation.admitter.admit(call)
    }

    /// Swaps in a new configuration (already validated): new calls use its models, aliases, providers,
    /// limits and keys at once; calls in flight finish on the old one. Usage, metrics and traces carry on;
    /// rate-limit counts too while `rate_limits` is unchanged; provider connections are kept.
    public func reload(_ config: GatewayConfig) {
        let old = generation
        let sameStore = old.config.redisURL == config.redisURL && old.config.redisTimeoutMs == config.redisTimeoutMs
        let next = GatewayGeneration(
            config: config, client: client, rateLimits: sameStore ? old.rateLimits : nil, metrics: metrics,
            tracer: tracer, budgets: sameStore ? old.budgets : nil, fleet: sameStore ? .some(old.fleet) : nil)
        current.withLock { $0 = next }
        // The old Redis gets its last batch.
        if !sameStore, let fleet = old.fleet { BackgroundTask.start { await fleet.flush() } }
        fleetSync.withLock { task in
            guard task != nil else { return }
            task?.cancel()
            task = next.fleet.map { fleet in BackgroundTask.start { await fleet.run() } }
        }
        metrics.registry.add("gateway_config_reloads_total", ["ok"])
        probing.withLock { task in
            guard task != nil else { return }
            task?.cancel()
            task = BackgroundTask.start { await next.prober.run() }
        }
    }

    /// Counts a reload whose file was refused (the configuration in force stays).
    public func reloadRefused() {
        metrics.registry.add("gateway_config_reloads_total", ["error"])
    }

    /// Starts the periodic provider probes (of each generation in turn) until `stopProbing`.
    public func startProbing() {
        let prober = self.prober
        probing.withLock { task in
            task?.cancel()
            task = BackgroundTask.start { await prober.run() }
        }
    }

    public func stopProbing() {
        probing.withLock { task in
            task?.cancel()
            task = nil
        }
    }

    /// Probes every provider once and waits for the answers.
    public func probeNow() async {
        await prober.probeAll()
    }

    /// Exports finished spans until cancelled (when tracing is configured).
    public func exportTraces() async {
        await tracer.run()
    }

    /// Exports the spans still waiting (at shutdown, after the last requests drained).
    public func flushTraces() async {
        await tracer.flush()
    }

    /// Starts writing this process's usage to Redis each second (with `rate_limits.redis_url`).
    public func startFleetSync() {
        guard let fleet = generation.fleet else { return }
        fleetSync.withLock { task in
            task?.cancel()
            task = BackgroundTask.start { await fleet.run() }
        }
    }

    /// Stops the usage writer and writes what is pending (at shutdown: no usage is lost on SIGTERM).
    public func flushUsage() async {
        fleetSync.withLock { task in
            task?.cancel()
            task = nil
        }
        await generation.fleet?.flush()
    }

    /// Usage since the gateway started: the fleet's when replicas share Redis (with this process's totals
    /// beside it), else this process's.
    public func usageReport() async -> UsageResponse {
        let local = usage.report()
        guard let fleet = generation.fleet else { return UsageResponse(report: local, since: startedAtRFC3339) }
        await fleet.flush()  // this replica's latest requests count in the fleet's figures at once
        guard let shared = await fleet.report() else {
            return UsageResponse(report: local, since: startedAtRFC3339, replica: local.totals)
        }
        let report = UsageLedger.Report(
            since: local.since, totals: shared.totals, byModel: shared.rows["model"] ?? [],
            byProvider: shared.rows["provider"] ?? [], byKey: shared.rows["key"] ?? [])
        return UsageResponse(report: report, since: startedAtRFC3339, replica: local.totals)
    }

    // MARK: models

    public func listModels(provider: String? = nil) -> ListModelsResponse {
        let registry = self.registry
        let models = registry.entries().map(registry.info).filter { info in
            provider.map { info.providers.contains($0) } ?? true
        }
        return ListModelsResponse(models: models, aliases: registry.aliases)
    }

    public func model(named name: String) throws(GatewayError) -> ModelInfo {
        let registry = self.registry
        return registry.info(try Self.found(registry.resolve(name), name))
    }

    /// The model a request named, or 404.
    static func found(_ entry: ModelEntry?, _ name: String) throws(GatewayError) -> ModelEntry {
        guard let entry else { throw GatewayError(.notFound, "unknown model \"\(name)\"") }
        return entry
    }

    // MARK: health

    /// A provider's state as reported: its probe result, or down while its circuit is open.
    private func reportedStatus(_ provider: any Provider, in generation: GatewayGeneration) -> ProviderStatus {
        var status = generation.registry.status(of: provider.name)
        if status.state == .up, generation.breaker.isOpen(provider.name) {
            status = ProviderStatus(
                state: .down, latencyMs: status.latencyMs, error: "circuit open after repeated failures")
        }
        return status
    }

    public func health(detailed: Bool) async -> HealthResponse {
        let generation = self.generation
        if detailed { await generation.prober.probeAllShared() }
        let providers = generation.registry.providers.map { provider in
            let status = reportedStatus(provider, in: generation)
            return ProviderHealth(
                name: provider.name, type: provider.config.kind.rawValue,
                endpoint: Self.redacted(provider.config.endpoint),
                status: status.state, latencyMs: status.latencyMs, error: status.error)
        }
        let active = providers.filter { $0.status != .inactive }
        let up = active.filter { $0.status == .up }.count
        let down = active.filter { $0.status == .down }.count
        let status: HealthResponse.Status = up == 0 && down > 0 ? .unhealthy : (down > 0 ? .degraded : .healthy)
        return HealthResponse(
            status: status, version: Self.version, uptimeS: Double(startedAt.nanoseconds(until: .now())) / 1e9,
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
        let generation = self.generation
        for provider in generation.registry.providers {
            metrics.registry.set(
                "gateway_provider_up", [provider.name], reportedStatus(provider, in: generation).state == .up ? 1 : 0)
        }
        return metrics.registry.render()
    }

    // MARK: generation

    /// Runs a call under its record: `body` ends the record once an answer began (a stream's relay ends it
    /// later); a call that fails before that is ended here as failed.
    private func recorded<T>(
        _ method: CallMethod, model: String, context: CallContext,
        _ body: (CallRecorder, ModelEntry?, GatewayGeneration) async throws -> T
    ) async throws -> T {
        let generation = self.generation  // the whole call runs on the configuration it started on
        let requested = generation.registry.resolve(model)
        let recorder = records.start(
            method, model: requested?.name ?? "unknown", context: context, budgets: generation.budgets,
            fleet: generation.fleet)
        do {
            try checkScope(context.client, asked: model, requested, generation.registry)
            try await checkBudget(context.client, generation.budgets)
            return try await body(recorder, requested, generation)
        } catch var error as GatewayError {
            error.model = error.model ?? requested?.name
            recorder.failed(error)
            throw error
        } catch {
            recorder.failed(error)
            throw error
        }
    }

    /// Checks a generation request and completes its images' media types, in place (a copy of a request
    /// retains every string and array it holds); returns its model and what it needs of a model beyond text:
    /// a model known to lack that is refused here, and failover skips such models.
    private func prepare(_ request: inout GenerateRequest, _ entry: ModelEntry?, _ generation: GatewayGeneration)
        throws(GatewayError) -> (ModelEntry, [Capability])
    {
        try RequestValidation.validate(&request, maxImageBytes: generation.config.server.maxImageBytes)
        let requested = try Self.found(entry, request.model)
        let needs = request.neededCapabilities
        if let missing = needs.first(where: requested.lacks) {
            throw .invalid("model", "\(requested.name) does not support \(missing.rawValue)")
        }
        return (requested, needs)
    }

    /// A named key limited to some models may ask only for those (by name or alias): else 403.
    private func checkScope(
        _ client: Authenticator.Client?, asked: String, _ requested: ModelEntry?, _ registry: ModelRegistry
    ) throws(GatewayError) {
        guard let allowed = client?.models, let requested else { return }
        guard !allowed.contains(where: { $0 == asked || registry.resolve($0)?.name == requested.name }) else { return }
        throw GatewayError(
            .modelNotAllowed, "the key \(client?.name ?? "") may not use model \"\(asked)\"")
    }

    /// A named key with a budget spent for the day (US dollars) or the month (tokens): 429 until the period
    /// ends. Checked before the provider is called; a store that cannot say lets the request through.
    private func checkBudget(_ client: Authenticator.Client?, _ store: any BudgetStore) async throws(GatewayError) {
        guard let client, let budget = client.budget else { return }
        let period = BudgetPeriod.now()
        guard let spent = await store.spent(client.label, in: period.key) else { return }
        if let limit = budget.usdPerDay, spent.usd >= limit {
            throw GatewayError(
                .budgetExceeded, "the key \(client.label) spent its budget of $\(limit) for today (UTC)",
                retryAfterSeconds: period.secondsLeftInDay)
        }
        if let limit = budget.tokensPerMonth, spent.tokens >= limit {
            throw GatewayError(
                .budgetExceeded, "the key \(client.label) spent its budget of \(limit) tokens for this month",
                retryAfterSeconds: period.secondsLeftInMonth)
        }
    }

    public func generate(_ request: consuming GenerateRequest, context: CallContext) async throws -> GenerateResponse {
        // Moved, not copied, into the variable the call checks and completes in place: a copy retains every
        // string and array the request holds, and releases them again.
        var request = request
        return try await recorded(.generate, model: request.model, context: context) { recorder, entry, generation in
            let (requested, needs) = try prepare(&request, entry, generation)
            let (answer, attempt) = try await generation.failover.run(
                requested, needing: .generate, also: needs, context: context, trace: recorder.trace
            ) { attempt, settings in
                try await attempt.route.provider.complete(ProviderCall(attempt, settings, request))
            }
            recorder.answerBegan(attempt)
            let tokens = TokenCounts(
                input: answer.tokensInput, output: answer.tokensOutput, cachedInput: answer.cachedInput,
                cacheWrite: answer.cacheWrite, reasoning: answer.reasoningTokens)
            let cost = recorder.end(.answered, attempt, tokens)
            var response = GenerateResponse(
                id: RequestID.generation(), model: attempt.model.name, provider: attempt.route.provider.name,
                content: answer.content, tokensInput: answer.tokensInput, tokensOutput: answer.tokensOutput,
                latencyMs: context.timing.elapsedMilliseconds, finishReason: answer.finishReason,
                metadata: request.metadata, costUSD: cost,
                requestedModel: attempt.model.name == requested.name ? nil : requested.name,
                toolCalls: answer.toolCalls)
            response.breakdown = tokens.breakdown
            response.stop = answer.stop
            // Reasoning is counted either way, returned only when asked for (contract §10).
            if request.reasoning?.include == true { response.reasoning = answer.reasoning }
            return response
        }
    }

    /// Starts a streamed generation. Returns once one attempt produced real content (failing over before
    /// that); the stream then never switches models, and an upstream failure ends it with an error. The
    /// caller closes the stream when it stops reading.
    public func streamGenerate(_ request: consuming GenerateRequest, context: CallContext) async throws
        -> GenerationStream
    {
        var request = request  // moved, as in `generate`
        return try await recorded(.streamGenerate, model: request.model, context: context) {
            recorder, entry, generation in
            let (requested, needs) = try prepare(&request, entry, generation)
            let (relay, _) = try await generation.failover.run(
                requested, needing: .stream, also: needs, context: context, trace: recorder.trace
            ) { attempt, settings in
                let events = try await attempt.route.provider.stream(ProviderCall(attempt, settings, request))
                let relay = StreamRelay(
                    events: events, attempt: attempt, requested: requested, request: request, recorder: recorder,
                    permit: settings.permit)
                try await relay.awaitFirstContent()
                return relay
            }
            return relay.handOut()
        }
    }

    // MARK: embeddings

    public func embed(_ request: EmbedRequest, context: CallContext) async throws -> EmbedResponse {
        try await recorded(.embed, model: request.model, context: context) { recorder, entry, generation in
            try RequestValidation.validate(request)
            let requested = try Self.found(entry, request.model)
            guard requested.hasCapability(.embedding) else {
                throw GatewayError.invalid("model", "\(requested.name) has no embedding capability")
            }
            let (answer, attempt) = try await generation.failover.run(
                requested, needing: .embedding, context: context, trace: recorder.trace
            ) { attempt, settings in
                try await attempt.route.provider.embed(
                    upstreamModel: attempt.route.upstreamModel, input: request.input, timeouts: settings.timeouts,
                    headers: settings.headers)
            }
            recorder.answerBegan(attempt)
            recorder.end(.answered, attempt, TokenCounts(input: answer.tokensInput))
            return EmbedResponse(
                model: attempt.model.name, provider: attempt.route.provider.name, embeddings: answer.embeddings,
                tokensInput: answer.tokensInput, latencyMs: context.timing.elapsedMilliseconds)
        }
    }
}
