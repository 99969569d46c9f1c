import Testing

@testable import Gateway

/// What a provider's model list adds to the registry: new models, and more routes, context lengths and
/// capabilities for known ones, without changing what the configuration says.
@Suite struct ModelRegistryDiscoveryTests {
    static let yaml = """
        providers:
          - {name: a, type: ollama, endpoint: "http://127.0.0.1:9"}
          - {name: b, type: ollama, endpoint: "http://127.0.0.1:9"}
        models:
          - {name: assumed, provider: a, tier: small, aliases: [tiny-one]}
          - {name: configured, provider: a, capabilities: [generate, chat], context_length: 4096}
        """

    @Test func aKnownModelGainsARouteOnceAndOnlyWhatItDidNotKnow() throws {
        let registry = ModelGateway(config: try ConfigLoader.parse(Self.yaml, file: "t")).registry
        let b = try #require(registry.providers.first { $0.name == "b" })
        let reported = [
            DiscoveredModel(name: "assumed", contextLength: 8192, capabilities: [.generate, .chat, .tools]),
            DiscoveredModel(name: "configured", contextLength: 32768, capabilities: [.generate, .tools]),
            DiscoveredModel(name: "new", contextLength: nil, capabilities: nil),
        ]
        registry.merge(reported, from: b)
        registry.merge(reported, from: b)  // a second probe adds nothing more

        let assumed = try #require(registry.resolve("tiny-one"))
        #expect(assumed.routes.map(\.provider.name) == ["a", "b"])
        #expect(assumed.capabilities == [.generate, .chat, .tools] && assumed.capabilitiesKnown)
        #expect(assumed.contextLength == 8192)
        #expect(assumed.tier == .small && assumed.aliases == ["tiny-one"])

        let configured = try #require(registry.resolve("configured"))
        #expect(configured.routes.map(\.provider.name) == ["a", "b"])
        #expect(configured.capabilities == [.generate, .chat], "configured capabilities are not replaced")
        #expect(configured.contextLength == 4096, "a configured context length is not replaced")

        let new = try #require(registry.resolve("new"))
        #expect(new.routes.map(\.provider.name) == ["b"] && !new.capabilitiesKnown)
        #expect(registry.entries().map(\.name) == ["assumed", "configured", "new"])
    }
}
