import Testing

@testable import Gateway

/// The order of attempts for a request, apart from any network: explicit fallbacks, then the configured
/// strategies, skipping providers known to be down or inactive and models without the capability.
@Suite struct FailoverPlannerTests {
    static let yaml = """
        providers:
          - {name: a, type: ollama, endpoint: "http://127.0.0.1:9"}
          - {name: b, type: ollama, endpoint: "http://127.0.0.1:9"}
          - {name: c, type: openai, endpoint: "http://127.0.0.1:9/v1"}
          - {name: keyless, type: anthropic, endpoint: "http://127.0.0.1:9"}
        models:
          - {name: small-1, providers: [a, b], tier: small, fallbacks: [tiny-1]}
          - {name: small-2, provider: c, tier: small}
          - {name: tiny-1, provider: b, tier: tiny}
          - {name: large-1, provider: c, tier: large}
          - {name: large-2, provider: keyless, tier: large}
          - {name: embed-1, provider: c, tier: small, capabilities: [embedding]}
        """

    let registry = ModelGateway(config: try! ConfigLoader.parse(Self.yaml, file: "t")).registry

    func plan(_ model: String, _ strategies: [FailoverStrategy], needing: Capability = .generate) -> [String] {
        let planner = FailoverPlanner(registry: registry, strategies: strategies)
        return planner.plan(for: registry.resolve(model)!, needing: needing).map {
            "\($0.model.name)@\($0.route.provider.name)"
        }
    }

    @Test func fallbacksComeFirstThenEachStrategyInItsOrder() {
        #expect(
            plan("small-1", [.sameTier, .tierUp, .providerFallback]) == [
                "small-1@a", "tiny-1@b", "small-2@c", "large-1@c", "small-1@b",
            ])
        #expect(
            plan("small-1", [.providerFallback, .sameTier]) == ["small-1@a", "tiny-1@b", "small-1@b", "small-2@c"])
        #expect(plan("small-1", []) == ["small-1@a", "tiny-1@b"])
    }

    @Test func eachModelAndProviderIsTriedOnceHoweverOftenItIsNamed() throws {
        // x names itself and y as fallbacks, and both share a tier: the first attempt comes back through its
        // own fallbacks, and y through the fallbacks and the tier.
        let yaml = """
            providers:
              - {name: a, type: ollama, endpoint: "http://127.0.0.1:9"}
              - {name: b, type: ollama, endpoint: "http://127.0.0.1:9"}
            models:
              - {name: x, providers: [a, b], tier: small, fallbacks: [x, y]}
              - {name: y, provider: b, tier: small}
            """
        let registry = ModelGateway(config: try ConfigLoader.parse(yaml, file: "t")).registry
        let planner = FailoverPlanner(registry: registry, strategies: [.sameTier, .providerFallback])
        let attempts = Array(planner.plan(for: try #require(registry.resolve("x")), needing: .generate))
        #expect(attempts.map { "\($0.model.name)@\($0.route.provider.name)" } == ["x@a", "y@b", "x@b"])
    }

    @Test func downAndInactiveProvidersAndMissingCapabilitiesAreSkipped() {
        registry.setStatus("a", ProviderStatus(state: .down, latencyMs: 0, error: "probe failed"))
        // small-1's first route is down; its second (b) is still tried, once.
        #expect(plan("small-1", [.providerFallback]) == ["tiny-1@b", "small-1@b"])
        // The key-less Anthropic provider is inactive; embed-1 lacks `generate`.
        #expect(plan("large-1", [.sameTier]) == ["large-1@c"])
        #expect(!plan("small-2", [.sameTier]).contains { $0.hasPrefix("embed-1") })
        #expect(plan("embed-1", [.sameTier], needing: .embedding) == ["embed-1@c"])
    }

    @Test func aProviderMarkedDownByARequestComesBackAfterItsPause() {
        var status = ProviderStatus(state: .down, latencyMs: 0, error: "refused")
        status.retryAt = .now - .seconds(1)
        registry.setStatus("c", status)
        #expect(plan("small-2", []) == ["small-2@c"])
        status.retryAt = .now + .seconds(60)
        registry.setStatus("c", status)
        #expect(plan("small-2", []).isEmpty)
    }

    @Test func eachAttemptIsWorkedOutWhenItComesUp() {
        let planner = FailoverPlanner(registry: registry, strategies: [.providerFallback])
        var attempts = planner.plan(for: registry.resolve("small-1")!, needing: .generate)
        #expect(attempts.next().map { "\($0.model.name)@\($0.route.provider.name)" } == "small-1@a")
        // b goes down after the first attempt (as a refused connection marks it): its attempts, the fallback
        // tiny-1 and small-1's second route, are skipped when they come up.
        var down = ProviderStatus(state: .down, latencyMs: 0, error: "refused")
        down.retryAt = .now + .seconds(60)
        registry.setStatus("b", down)
        #expect(attempts.next() == nil)
    }
}
