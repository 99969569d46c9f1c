/// What one configuration builds — providers and registry, keys, circuits, failover and limits, probes —
/// replaced whole when the configuration reloads (`ModelGateway.reload`). A call keeps the generation it
/// started on, so calls in flight finish on the old configuration.
final class GatewayGeneration: Sendable {
    let config: GatewayConfig
    let registry: ModelRegistry
    let breaker: CircuitBreaker
    let admitter: Admitter
    let failover: FailoverExecutor
    let prober: ProviderProber
    let rateLimits: any RateLimitStore
    let budgets: any BudgetStore
    /// Usage shared with the other replicas (with `rate_limits.redis_url`).
    let fleet: FleetUsage?

    /// `rateLimits`: the store to keep (a reload that leaves `rate_limits` alone keeps its counts), else one
    /// made from the configuration. Provider connections are the HTTP client's, kept across generations.
    init(
        config: GatewayConfig, client: HTTPClient, rateLimits: (any RateLimitStore)?, metrics: GatewayMetrics,
        tracer: Tracer, budgets: (any BudgetStore)? = nil, fleet: FleetUsage?? = nil
    ) {
        self.config = config
        let providers = config.providers.map { ProviderFactory.make($0, client: client) }
        registry = ModelRegistry(config: config, providers: providers)
        admitter = Admitter(
            authenticator: Authenticator(keys: config.apiKeys, named: config.namedKeys),
            maxRequestBytes: config.maxRequestBytes)
        breaker = CircuitBreaker(
            threshold: config.breakerThreshold, cooldown: .milliseconds(Int(config.breakerCooldownS * 1000)))
        var concurrency: [String: ConcurrencyLimiter] = [:]
        for provider in config.providers {
            if let limit = provider.maxConcurrency { concurrency[provider.name] = ConcurrencyLimiter(limit: limit) }
        }
        self.rateLimits = rateLimits ?? Self.rateLimitStore(config, metrics: metrics.registry)
        self.budgets = budgets ?? Self.budgetStore(config, metrics: metrics.registry)
        self.fleet =
            fleet
            ?? (config.redisURL.isEmpty
                ? nil : FleetUsage(url: config.redisURL, metrics: metrics.registry))
        failover = FailoverExecutor(
            registry: registry, planner: FailoverPlanner(registry: registry, strategies: config.failoverStrategies),
            limiter: RateLimiter(store: self.rateLimits), breaker: breaker, concurrency: concurrency, metrics: metrics,
            tracer: tracer, keyLimit: config.keyRateLimit, maxRetries: config.retries)
        prober = ProviderProber(registry: registry, interval: config.probeIntervalS, breaker: breaker)
    }

    /// Budgets in Redis with `rate_limits.redis_url` (the fleet's), else in process memory.
    static func budgetStore(_ config: GatewayConfig, metrics: MetricsRegistry) -> any BudgetStore {
        if !config.redisURL.isEmpty,
            let redis = RedisBudgetStore(
                url: config.redisURL, timeout: .milliseconds(config.redisTimeoutMs), metrics: metrics)
        {
            return redis
        }
        return InProcessBudgetStore()
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
}
