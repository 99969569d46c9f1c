import Reactor

/// Every model the gateway serves, its aliases and routes, and each provider's live status. Lookups by
/// name or alias are dictionary reads of an immutable snapshot, so requests never wait on discovery.
public final class ModelRegistry: Sendable {
    struct Snapshot {
        var order: [String] = []
        var models: [String: ModelEntry] = [:]
        var aliases: [String: String] = [:]
    }

    public let providers: [any Provider]
    private let snapshot: Locked<Snapshot>
    private let statuses: Locked<[String: ProviderStatus]>

    init(config: GatewayConfig, providers: [any Provider]) {
        self.providers = providers
        var initial = Snapshot()
        let byName = Dictionary(uniqueKeysWithValues: providers.map { ($0.name, $0) })
        for model in config.models {
            let routes = model.providers.compactMap { byName[$0] }.map {
                ModelRoute(provider: $0, upstreamModel: model.upstreamModel)
            }
            let defaultCapabilities: [Capability] =
                model.aliases.contains("embedding") || model.name.contains("embed")
                ? [.embedding] : [.generate, .chat, .stream]
            initial.order.append(model.name)
            initial.models[model.name] = ModelEntry(
                name: model.name, routes: routes, tier: model.tier, aliases: model.aliases, fallbacks: model.fallbacks,
                capabilities: model.capabilities ?? defaultCapabilities,
                capabilitiesKnown: model.capabilities != nil, contextLength: model.contextLength,
                pricing: model.pricing ?? Pricing(), api: model.api, rateLimit: model.rateLimit)
            for alias in model.aliases { initial.aliases[alias] = model.name }
        }
        // The builtin echo model is always there, so a fresh install serves a full request.
        if let builtin = providers.first(where: { $0.config.kind == .builtin }),
            initial.models[BuiltinProvider.echoModel] == nil
        {
            initial.order.append(BuiltinProvider.echoModel)
            initial.models[BuiltinProvider.echoModel] = ModelEntry(
                name: BuiltinProvider.echoModel,
                routes: [ModelRoute(provider: builtin, upstreamModel: BuiltinProvider.echoModel)],
                tier: nil, aliases: [], fallbacks: [],
                capabilities: [.generate, .chat, .stream, .tools, .jsonOutput], capabilitiesKnown: true,
                contextLength: 1_000_000,
                pricing: Pricing(), api: .chat, rateLimit: nil)
        }
        snapshot = Locked(initial)
        statuses = Locked(
            Dictionary(
                uniqueKeysWithValues: providers.map {
                    (
                        $0.name,
                        $0.config.isActive
                            ? ProviderStatus.unknown
                            : ProviderStatus(state: .inactive, latencyMs: 0, error: "no API key configured")
                    )
                }))
    }

    // MARK: lookups

    /// The model a name or alias stands for.
    func resolve(_ nameOrAlias: String) -> ModelEntry? {
        snapshot.withLock { state in
            state.models[nameOrAlias] ?? state.aliases[nameOrAlias].flatMap { state.models[$0] }
        }
    }

    func entries() -> [ModelEntry] {
        snapshot.withLock { state in state.order.compactMap { state.models[$0] } }
    }

    public var aliases: [String: String] { snapshot.withLock { $0.aliases } }

    public func status(of provider: String) -> ProviderStatus {
        statuses.withLock { $0[provider] ?? .unknown }
    }

    /// Whether a route may be tried now: its provider is not known to be down and is active.
    func isUsable(_ route: ModelRoute) -> Bool {
        let status = status(of: route.provider.name)
        if status.state == .down, let retryAt = status.retryAt { return ContinuousClock.now >= retryAt }
        return status.state == .up || status.state == .unknown
    }

    /// A model is available when one of its providers is up, unavailable when all are down or inactive.
    func modelStatus(_ entry: ModelEntry) -> ModelStatus {
        let states = entry.routes.map { status(of: $0.provider.name).state }
        if states.contains(.up) { return .available }
        if states.contains(.unknown) { return .unknown }
        return .unavailable
    }

    func info(_ entry: ModelEntry) -> ModelInfo {
        let names = entry.routes.map(\.provider.name)
        return ModelInfo(
            name: entry.name, provider: names.first ?? "", providers: names, status: modelStatus(entry),
            tier: entry.tier, aliases: entry.aliases, capabilities: entry.capabilities,
            upstreamModel: entry.routes.first?.upstreamModel ?? entry.name, contextLength: entry.contextLength,
            pricing: entry.pricing)
    }

    // MARK: updates

    func setStatus(_ provider: String, _ status: ProviderStatus) {
        statuses.withLock { $0[provider] = status }
    }

    /// Models taken from one provider's list at most, and the longest name taken: a provider's list is
    /// outside input, and its names become labels, log fields and map keys.
    static let maxDiscoveredModels = 4096
    static let maxModelNameBytes = 256

    /// Whether a discovered name is one the gateway will serve: not empty, not too long, no control bytes.
    static func isAcceptableName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= maxModelNameBytes && !name.utf8.contains { $0 < 0x20 || $0 == 0x7F }
    }

    /// Adds what a provider's list endpoint reported: new models, and this provider as a route of known ones.
    func merge(_ discovered: [DiscoveredModel], from provider: any Provider) {
        let accepted = discovered.lazy.filter { Self.isAcceptableName($0.name) }.prefix(Self.maxDiscoveredModels)
        snapshot.withLock { state in
            for model in accepted {
                if let entry = state.models[model.name] {
                    state.models[model.name] = entry.adding(model, from: provider)
                } else {
                    state.order.append(model.name)
                    state.models[model.name] = ModelEntry(
                        name: model.name, routes: [ModelRoute(provider: provider, upstreamModel: model.name)],
                        tier: nil,
                        aliases: [], fallbacks: [], capabilities: model.capabilities ?? [.generate, .chat, .stream],
                        capabilitiesKnown: model.capabilities != nil, contextLength: model.contextLength,
                        pricing: Pricing(), api: .chat, rateLimit: nil)
                }
            }
        }
    }
}
