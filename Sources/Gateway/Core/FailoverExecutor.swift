/// What one provider call runs with: its timeouts (cut to the client's deadline), the provider's concurrency
/// slot (held as long as the call needs it; a stream keeps it until it ends), and extra headers (trace context).
struct UpstreamCallSettings: Sendable {
    let timeouts: UpstreamTimeouts
    let permit: ConcurrencyLimiter.Permit?
    let headers: [(String, String)]
}

extension ProviderCall {
    /// The call one attempt makes for `request`.
    init(_ attempt: Attempt, _ settings: UpstreamCallSettings, _ request: GenerateRequest) {
        self.init(
            upstreamModel: attempt.route.upstreamModel, request: request, api: attempt.model.api,
            timeouts: settings.timeouts, headers: settings.headers)
    }
}

/// Runs one request over its failover plan: API-key and model rate limits first, then for each attempt the
/// provider's circuit, rate limit and concurrency slot, retries (with back-off and jitter, within the
/// deadline) for transient failures, and failover to the next attempt for the rest.
struct FailoverExecutor: Sendable {
    let registry: ModelRegistry
    let planner: FailoverPlanner
    let limiter: RateLimiter
    let breaker: CircuitBreaker
    let concurrency: [String: ConcurrencyLimiter]
    let metrics: GatewayMetrics
    let tracer: Tracer
    let keyLimit: RateLimit?
    /// Retries of one attempt before failing over.
    var maxRetries = 1
    var baseBackoff = Duration.milliseconds(100)
    /// How long a provider that refused a request's connection is skipped before requests try it again.
    var passiveDownTime = Duration.seconds(2)

    /// Runs `operation` on the first attempt that succeeds. The permit (provider concurrency slot) is handed
    /// to the operation, which keeps it as long as it needs (a stream keeps it until it ends).
    func run<T>(
        _ requested: ModelEntry, needing capability: Capability, also extras: [Capability] = [],
        context: CallContext, trace: TraceContext?, _ operation: (Attempt, UpstreamCallSettings) async throws -> T
    ) async throws -> (T, Attempt) {
        // Per-key budgets apply to clients that present a key (with authentication off, nobody does).
        if let client = context.client {
            try await limiter.check("key", client.label, client.rateLimit ?? keyLimit)
        }
        try await limiter.check("model", requested.name, requested.rateLimit)
        var lastError: GatewayError?
        var previous = requested.name
        var tried = false
        // The circuit is asked only for an attempt about to run: asking claims its half-open probe.
        for attempt in planner.plan(for: requested, needing: capability, also: extras) {
            guard let admission = breaker.admit(attempt.route.provider.name) else { continue }
            // A move to another candidate, including straight past a requested model whose providers are down.
            if tried || previous != attempt.model.name {
                metrics.registry.add("gateway_failovers_total", [previous, attempt.model.name])
            }
            tried = true
            previous = attempt.model.name
            do {
                return (
                    try await runAttempt(attempt, admission: admission, context: context, trace: trace, operation),
                    attempt
                )
            } catch let error as GatewayError where error.allowsFailover {
                lastError = error
            }
        }
        if let lastError { throw lastError }
        // Nothing was tried. A provider skipped because it refuses the gateway's key is the reason to give.
        for route in requested.routes {
            let status = registry.status(of: route.provider.name)
            if status.authenticationFailed { throw GatewayError(.providerError, status.error) }
        }
        throw GatewayError(.noProviderAvailable, "no provider is available for model \"\(requested.name)\"")
    }

    private func runAttempt<T>(
        _ attempt: Attempt, admission: CircuitBreaker.Admission, context: CallContext, trace: TraceContext?,
        _ operation: (Attempt, UpstreamCallSettings) async throws -> T
    ) async throws -> T {
        let provider = attempt.route.provider
        let config = provider.config  // once: read through the protocol, each read copies the whole configuration
        // Only the provider's own answers count for its circuit; a probe that ends any other way is handed back.
        var judged = false
        defer { if !judged, admission == .probe { breaker.releaseProbe(provider.name) } }
        try await limiter.check("provider", provider.name, config.rateLimit)
        let permit = try await concurrency[provider.name]?.acquire(provider: provider.name)
        let span = tracer.start(
            "\(config.kind.rawValue) \(attempt.route.upstreamModel)", parent: trace, kind: .client)
        // Made only for a span that is recorded (`span?.end(attributes())` skips the call without one).
        func attributes() -> [(String, JSON)] {
            [
                ("gen_ai.system", .string(config.kind.rawValue)),
                ("gen_ai.request.model", .string(attempt.route.upstreamModel)),
                ("gateway.provider", .string(provider.name)), ("gateway.model", .string(attempt.model.name)),
            ]
        }
        // The provider sees this attempt's span as its parent; without tracing, the client's context passes through.
        let traceparent = span?.context.traceparent ?? trace?.traceparent
        let settings = UpstreamCallSettings(
            timeouts: try context.timeouts(config.timeouts), permit: permit,
            headers: traceparent.map { [("traceparent", $0)] } ?? [])
        var tries = 0
        while true {
            do {
                let result = try await context.timing.measure { try await operation(attempt, settings) }
                breaker.recordSuccess(provider.name)
                judged = true
                span?.end(attributes())
                return result
            } catch var error as GatewayError where error.allowsFailover {
                error.model = error.model ?? attempt.model.name
                error.provider = error.provider ?? provider.name
                if error.kind != .rateLimited {
                    breaker.recordFailure(provider.name)
                    judged = true
                }
                if error.kind == .noProviderAvailable {
                    // Unreachable: skip it until a probe sees it again, rather than retry.
                    // A failed request (not a probe) takes the provider out briefly, so one transient
                    // connection failure does not last a whole probe interval.
                    registry.setStatus(
                        provider.name,
                        ProviderStatus(
                            state: .down, latencyMs: 0, error: error.message, retryAt: .now + passiveDownTime))
                }
                guard error.kind != .noProviderAvailable, tries < maxRetries,
                    let delay = retryDelay(error, attempt: tries),
                    context.fits(delay)
                else {
                    span?.end(error: error.message, attributes())
                    throw error
                }
                tries += 1
                try await Task.sleep(for: delay)
            } catch {
                span?.end(error: "\(error)", attributes())
                throw error
            }
        }
    }

    /// Transient failures are retried: provider errors (5xx, a broken connection) and short rate limits.
    /// Timeouts are not (a retry would double the wait), nor are client errors.
    func retryDelay(_ error: GatewayError, attempt: Int) -> Duration? {
        switch error.kind {
        case .providerError:
            let base = baseBackoff * (1 << attempt)
            return base * Double.random(in: 0.5...1.5)
        case .rateLimited:
            guard let seconds = error.retryAfterSeconds, seconds <= 1 else { return nil }
            return .seconds(seconds)
        default:
            return nil
        }
    }
}
