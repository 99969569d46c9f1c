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

    func plan(for requested: ModelEntry, needing capability: Capability, also extras: [Capability] = []) -> [Attempt] {
        var attempts: [Attempt] = []
        // The attempts taken, by model and provider; made once a second attempt comes (most plans have one).
        var seen: Set<String> = []
        func key(_ model: ModelEntry, _ route: ModelRoute) -> String { model.name + "\u{0}" + route.provider.name }
        func add(_ model: ModelEntry, _ route: ModelRoute) {
            guard model.hasCapability(capability), !extras.contains(where: model.lacks), registry.isUsable(route)
            else { return }
            if let first = attempts.first {
                if seen.isEmpty { seen.insert(key(first.model, first.route)) }
                guard seen.insert(key(model, route)).inserted else { return }
            }
            attempts.append(Attempt(model: model, route: route))
        }
        func addFirstUsableRoute(of model: ModelEntry) {
            if let route = model.routes.first(where: registry.isUsable) { add(model, route) }
        }

        if let primary = requested.routes.first { add(requested, primary) }
        for name in requested.fallbacks {
            if let fallback = registry.resolve(name) { addFirstUsableRoute(of: fallback) }
        }
        // Every model, read only when a tier strategy needs it (not for each request's primary route).
        var everyoneRead: [ModelEntry]?
        func everyone() -> [ModelEntry] {
            if everyoneRead == nil { everyoneRead = registry.entries() }
            return everyoneRead!
        }
        for strategy in strategies {
            switch strategy {
            case .sameTier:
                guard let tier = requested.tier else { continue }
                for model in everyone() where model.tier == tier && model.name != requested.name {
                    addFirstUsableRoute(of: model)
                }
            case .tierUp:
                guard let next = requested.tier?.next else { continue }
                for model in everyone() where model.tier == next { addFirstUsableRoute(of: model) }
            case .providerFallback:
                for route in requested.routes.dropFirst() { add(requested, route) }
            }
        }
        return attempts
    }
}
