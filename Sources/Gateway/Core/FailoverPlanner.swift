/// One attempt the router may make: a model on one of its routes.
struct Attempt: Sendable {
    let model: ModelEntry
    let route: ModelRoute
}

/// Orders the attempts for a requested model: its first provider, its explicit fallbacks, then the
/// configured strategies (`same_tier`, `tier_up`, `provider_fallback`), skipping providers known to be down
/// or inactive, and models that lack the needed capability or are known to lack what the request also
/// needs (tools, images, JSON output).
struct FailoverPlanner: Sendable {
    let registry: ModelRegistry
    let strategies: [FailoverStrategy]

    func plan(for requested: ModelEntry, needing capability: Capability, also extras: [Capability] = []) -> AttemptPlan
    {
        AttemptPlan(planner: self, requested: requested, capability: capability, extras: extras)
    }
}

/// The attempts for one request, in order, each worked out when it is asked for: nearly every request
/// needs only the first. Made up front, a model with several routes or fallbacks paid for every later
/// attempt (the provider status behind each, and the keys that keep attempts distinct) on every request:
/// ~13 k instructions for three routes.
///
/// A provider's status is read when its attempt comes up, so an attempt that marked its provider down
/// keeps the plan off that provider's other routes.
struct AttemptPlan: Sequence, IteratorProtocol {
    private let planner: FailoverPlanner
    private let requested: ModelEntry
    private let capability: Capability
    private let extras: [Capability]
    private var stage = Stage.primary
    /// The first attempt taken, by model and provider name.
    private var first: (model: String, provider: String)?
    /// The attempts taken, by model and provider; made once a second attempt comes (most plans have one).
    private var seen: Set<String> = []
    /// Every model, read only when a tier strategy needs it.
    private var everyone: [ModelEntry]?

    /// Where the next candidate comes from: the primary route, the n-th fallback, or the n-th strategy at
    /// its m-th candidate.
    private enum Stage {
        case primary
        case fallback(Int)
        case strategy(Int, Int)
        case done
    }

    fileprivate init(planner: FailoverPlanner, requested: ModelEntry, capability: Capability, extras: [Capability]) {
        self.planner = planner
        self.requested = requested
        self.capability = capability
        self.extras = extras
    }

    mutating func next() -> Attempt? {
        while let candidate = nextCandidate() {
            if take(candidate) { return candidate }
        }
        return nil
    }

    /// Whether `attempt` may be tried: capable, usable, and not taken before.
    private mutating func take(_ attempt: Attempt) -> Bool {
        let model = attempt.model
        guard model.hasCapability(capability), !extras.contains(where: model.lacks),
            planner.registry.isUsable(attempt.route)
        else { return false }
        guard let first else {
            first = (model.name, attempt.route.provider.name)
            return true
        }
        if seen.isEmpty { seen.insert(first.model + "\u{0}" + first.provider) }
        return seen.insert(model.name + "\u{0}" + attempt.route.provider.name).inserted
    }

    /// The next attempt in the plan's order, before the checks of `take`.
    private mutating func nextCandidate() -> Attempt? {
        while true {
            switch stage {
            case .primary:
                stage = .fallback(0)
                if let route = requested.routes.first { return Attempt(model: requested, route: route) }
            case .fallback(let index):
                guard index < requested.fallbacks.count else {
                    stage = .strategy(0, 0)
                    continue
                }
                stage = .fallback(index + 1)
                if let fallback = planner.registry.resolve(requested.fallbacks[index]),
                    let attempt = firstUsableRoute(of: fallback)
                {
                    return attempt
                }
            case .strategy(let index, let position):
                guard index < planner.strategies.count else {
                    stage = .done
                    continue
                }
                if let (attempt, next) = candidate(of: planner.strategies[index], from: position) {
                    stage = .strategy(index, next)
                    return attempt
                }
                stage = .strategy(index + 1, 0)
            case .done:
                return nil
            }
        }
    }

    /// The first candidate `strategy` offers at or after `position`, and the position after it.
    private mutating func candidate(of strategy: FailoverStrategy, from position: Int) -> (Attempt, Int)? {
        switch strategy {
        case .sameTier:
            guard let tier = requested.tier else { return nil }
            let name = requested.name
            return firstModel(from: position) { $0.tier == tier && $0.name != name }
        case .tierUp:
            guard let next = requested.tier?.next else { return nil }
            return firstModel(from: position) { $0.tier == next }
        case .providerFallback:
            let routes = requested.routes.dropFirst()
            let index = routes.startIndex + position
            guard index < routes.endIndex else { return nil }
            return (Attempt(model: requested, route: routes[index]), position + 1)
        }
    }

    /// The first model at or after `position` among every model that `matches` and has a usable route.
    private mutating func firstModel(from position: Int, where matches: (ModelEntry) -> Bool) -> (Attempt, Int)? {
        if everyone == nil { everyone = planner.registry.entries() }
        let models = everyone!
        for index in position..<models.count where matches(models[index]) {
            if let attempt = firstUsableRoute(of: models[index]) { return (attempt, index + 1) }
        }
        return nil
    }

    private func firstUsableRoute(of model: ModelEntry) -> Attempt? {
        model.routes.first(where: planner.registry.isUsable).map { Attempt(model: model, route: $0) }
    }
}
