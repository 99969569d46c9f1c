/// The provider API families the gateway speaks.
public enum ProviderKind: String, Sendable, CaseIterable {
    case ollama
    case openai
    case anthropic
    case builtin
}

/// Failover strategies, tried in the configured order after a model's explicit fallbacks.
public enum FailoverStrategy: String, Sendable, CaseIterable {
    /// Another model of the same tier.
    case sameTier = "same_tier"
    /// A model of the next tier up.
    case tierUp = "tier_up"
    /// The same model on another of its providers.
    case providerFallback = "provider_fallback"
}

/// Which OpenAI-compatible endpoint a model is called on.
public enum OpenAIAPIStyle: String, Sendable {
    case chat
    case completions
}

/// A request budget per minute.
public struct RateLimit: Sendable, Equatable {
    public var requestsPerMinute: Int
}

/// One `providers:` entry.
public struct ProviderConfig: Sendable, Equatable {
    public var name: String
    public var kind: ProviderKind
    public var endpoint: String
    public var apiKey: String
    public var timeouts: UpstreamTimeouts
    public var maxConcurrency: Int?
    public var rateLimit: RateLimit?
    /// Builtin only: delay between streamed tokens, for tests and benchmarks.
    public var tokenDelayMs: Int
    /// Whether the provider's list endpoint adds models beyond the configured ones.
    public var discover: Bool
    /// Largest non-streamed response body read from the provider (`max_response_bytes`).
    public var maxResponseBytes: Int = ProviderConfig.defaultMaxResponseBytes
    /// Largest SSE event or NDJSON line of a streamed response (`max_event_bytes`).
    public var maxEventBytes: Int = SSEDecoder.defaultMaxEventBytes

    public static let defaultMaxResponseBytes = 16 << 20

    /// Providers that need a key (Anthropic) are inactive, sending nothing, until one is set.
    public var isActive: Bool { kind != .anthropic || !apiKey.isEmpty }
}

/// One `models:` entry.
public struct ModelConfig: Sendable, Equatable {
    public var name: String
    /// Providers serving it, in failover order.
    public var providers: [String]
    public var upstreamModel: String
    public var tier: Tier?
    public var aliases: [String]
    public var fallbacks: [String]
    public var pricing: Pricing?
    public var contextLength: Int?
    public var capabilities: [Capability]?
    public var api: OpenAIAPIStyle
    public var rateLimit: RateLimit?
}

/// The `server:` limits an operator may set beyond port and body size; nil leaves the server's default.
public struct ServerSettings: Sendable, Equatable {
    public var headerReadTimeoutS: Double?
    public var bodyReadTimeoutS: Double?
    public var writeTimeoutS: Double?
    public var idleTimeoutS: Double?
    public var maxConnections: Int?
    public var maxConcurrentStreams: Int?
    public var maxBufferedRequestBytes: Int?
    public var maxBufferedRequestBytesPerConnection: Int?
    /// The largest image a request may carry, decoded (contract §7).
    public var maxImageBytes = 5 * 1024 * 1024

    public init() {}
}

/// A named client key (`auth.keys`, contract §9): its name stands for it in usage, logs and traces.
public struct NamedKey: Sendable, Equatable {
    public var name: String
    public var key: String
    /// Model names or aliases the key may ask for; nil for all.
    public var models: [String]?
    /// The key's own request rate, instead of `rate_limits.per_key`.
    public var rateLimit: RateLimit?
    public var budget: Budget?

    public init(
        name: String, key: String, models: [String]? = nil, rateLimit: RateLimit? = nil, budget: Budget? = nil
    ) {
        self.budget = budget
        self.name = name
        self.key = key
        self.models = models
        self.rateLimit = rateLimit
    }
}

/// The whole configuration file (contract §5).
public struct GatewayConfig: Sendable, Equatable {
    public var port: Int
    public var host: String
    public var maxRequestBytes: Int
    public var apiKeys: [String]
    /// Named keys, beside the plain `apiKeys`.
    public var namedKeys: [NamedKey] = []
    public var providers: [ProviderConfig]
    public var models: [ModelConfig]
    public var failoverStrategies: [FailoverStrategy]
    public var redisURL: String
    public var keyRateLimit: RateLimit?
    /// Seconds between provider probes.
    public var probeIntervalS: Double
    /// Seconds a shutdown waits for in-flight requests.
    public var drainTimeoutS: Double
    /// Retries of one provider call (transient failures) before failing over.
    public var retries: Int = 1
    /// Consecutive failures that open a provider's circuit, and how long it stays open.
    public var breakerThreshold: Int = 5
    public var breakerCooldownS: Double = 30
    /// Server limits beyond port and body size.
    public var server = ServerSettings()
    /// How long a request's rate-limit check may wait on Redis before it goes on unlimited.
    public var redisTimeoutMs: Int = 100

    public static let defaultFailover: [FailoverStrategy] = [.sameTier, .tierUp, .providerFallback]
}
