import Testing

@testable import Gateway

@Suite(.serialized) struct CircuitProbeTests {
    @Test func listingAProviderInAPlanDoesNotSpendItsHalfOpenProbe() async throws {
        let fake = try FakeUpstream(kind: "openai", models: ["echo", "only-b"])
        defer { withExtendedLifetime(fake) {} }
        let yaml = """
            providers:
              - {name: builtin, type: builtin}
              - {name: b, type: openai, endpoint: "\(fake.baseURL)/v1"}
            models:
              - {name: both, upstream_model: echo, providers: [builtin, b]}
              - {name: only-b, provider: b}
            failover:
              strategies: [provider_fallback]
              retries: 0
              circuit_breaker: {failure_threshold: 1, cooldown_s: 0.1}
            """
        let gateway = ModelGateway(config: try ConfigLoader.parse(yaml, file: "t"))
        let context = CallContext(requestID: "t")
        await #expect(throws: GatewayError.self) {
            try await gateway.generate(GenerateRequest(model: "only-b", prompt: "fault:http500"), context: context)
        }
        #expect(gateway.breaker.isOpen("b"))
        try await Task.sleep(for: .milliseconds(150))  // the configured cool-down
        // Answered by builtin; b is only listed behind it in the plan.
        #expect(
            try await gateway.generate(GenerateRequest(model: "both", prompt: "hi"), context: context).provider
                == "builtin")
        // b's half-open probe is still there for a request that needs b.
        let answer = try await gateway.generate(GenerateRequest(model: "only-b", prompt: "hello"), context: context)
        #expect(answer.content == "Echo: hello")
        #expect(!gateway.breaker.isOpen("b"))
    }
}
