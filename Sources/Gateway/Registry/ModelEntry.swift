/// Where a model can be served: a provider and the model's name there.
public struct ModelRoute: Sendable {
    public let provider: any Provider
    public let upstreamModel: String
}

/// A model the gateway serves: configured, discovered, or both (one model per name, across providers).
///
/// A class, never changed once made (discovery replaces an entry with a new one): every request resolves,
/// plans and records its model, and passing a struct of five arrays and strings retained each of them.
final class ModelEntry: Sendable {
    let name: String
    /// In failover order: configured providers first, then providers where discovery found it.
    let routes: [ModelRoute]
    let tier: Tier?
    let aliases: [String]
    let fallbacks: [String]
    let capabilities: [Capability]
    /// Whether `capabilities` is known (configured, or reported by the provider) rather than assumed: only
    /// a known list says a model lacks something.
    let capabilitiesKnown: Bool
    let contextLength: Int?
    let pricing: Pricing
    let api: OpenAIAPIStyle
    let rateLimit: RateLimit?

    init(
        name: String, routes: [ModelRoute], tier: Tier?, aliases: [String], fallbacks: [String],
        capabilities: [Capability], capabilitiesKnown: Bool = false, contextLength: Int?, pricing: Pricing,
        api: OpenAIAPIStyle, rateLimit: RateLimit?
    ) {
        self.name = name
        self.routes = routes
        self.tier = tier
        self.aliases = aliases
        self.fallbacks = fallbacks
        self.capabilities = capabilities
        self.capabilitiesKnown = capabilitiesKnown
        self.contextLength = contextLength
        self.pricing = pricing
        self.api = api
        self.rateLimit = rateLimit
    }

    /// This model as `provider`'s list also reports it: that provider as one more route, and the context
    /// length and capabilities it reports where they were not known.
    func adding(_ discovered: DiscoveredModel, from provider: any Provider) -> ModelEntry {
        let known = routes.contains { $0.provider.name == provider.name }
        let reported = capabilitiesKnown ? nil : discovered.capabilities
        return ModelEntry(
            name: name,
            routes: known ? routes : routes + [ModelRoute(provider: provider, upstreamModel: discovered.name)],
            tier: tier, aliases: aliases, fallbacks: fallbacks, capabilities: reported ?? capabilities,
            capabilitiesKnown: capabilitiesKnown || reported != nil,
            contextLength: contextLength ?? discovered.contextLength, pricing: pricing, api: api,
            rateLimit: rateLimit)
    }

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
