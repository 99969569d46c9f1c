/// Where a model can be served: a provider and the model's name there.
public struct ModelRoute: Sendable {
    public let provider: any Provider
    public let upstreamModel: String
}

/// A model the gateway serves: configured, discovered, or both (one model per name, across providers).
struct ModelEntry: Sendable {
    var name: String
    /// In failover order: configured providers first, then providers where discovery found it.
    var routes: [ModelRoute]
    var tier: Tier?
    var aliases: [String]
    var fallbacks: [String]
    var capabilities: [Capability]
    /// Whether `capabilities` is known (configured, or reported by the provider) rather than assumed: only
    /// a known list says a model lacks something.
    var capabilitiesKnown = false
    var contextLength: Int?
    var pricing: Pricing
    var api: OpenAIAPIStyle
    var rateLimit: RateLimit?

    func hasCapability(_ capability: Capability) -> Bool { capabilities.contains(capability) }

    /// Known to lack `capability` (a model whose capabilities are assumed lacks nothing beyond them).
    func lacks(_ capability: Capability) -> Bool {
        !capabilities.contains(capability) && (capabilitiesKnown || !Capability.extras.contains(capability))
    }
}

/// A provider's last probe result.
public struct ProviderStatus: Sendable, Equatable {
    public enum State: String, Sendable {
        case up, down, unknown, inactive
    }

    public var state: State
    public var latencyMs: Double
    public var error: String
    /// For a provider marked down by a failed request (not a probe): when requests may try it again.
    var retryAt: ContinuousClock.Instant?
    /// The provider refused the gateway's own credentials: requests for its models are answered 502 with
    /// that reason (the client did nothing wrong, and "no provider available" would hide the cause).
    var authenticationFailed = false

    static let unknown = ProviderStatus(state: .unknown, latencyMs: 0, error: "")
}
