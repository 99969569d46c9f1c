import Reactor
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

@Suite(.serialized) struct CircuitVerdictTests {
    static let yaml = """
        providers:
          - {name: b, type: openai, endpoint: "FAKE/v1", timeout_s: 30}
        models:
          - {name: only-b, provider: b}
        failover:
          strategies: []
          retries: 0
          circuit_breaker: {failure_threshold: 1, cooldown_s: 0.05}
        """

    /// A probe that ended in the provider's rate limit (no verdict on its health) kept the probe flag, and
    /// the provider was skipped — 503 — until the process restarted.
    @Test func aProbeEndingWithoutAVerdictIsHandedBack() async throws {
        let fake = try FakeUpstream(kind: "openai", models: ["only-b"])
        defer { withExtendedLifetime(fake) {} }
        let gateway = ModelGateway(
            config: try ConfigLoader.parse(Self.yaml.replacingOccurrences(of: "FAKE", with: fake.baseURL), file: "t"))
        let context = CallContext(requestID: "t")
        await #expect(throws: GatewayError.self) {
            try await gateway.generate(GenerateRequest(model: "only-b", prompt: "fault:http500"), context: context)
        }
        #expect(gateway.breaker.isOpen("b"))
        try await Task.sleep(for: .milliseconds(80))  // the cool-down
        do {
            _ = try await gateway.generate(GenerateRequest(model: "only-b", prompt: "fault:http429"), context: context)
            Issue.record("a 429 was answered")
        } catch let error as GatewayError {
            #expect(error.kind == .rateLimited)
        }
        let answer = try await gateway.generate(GenerateRequest(model: "only-b", prompt: "hello"), context: context)
        #expect(answer.content == "Echo: hello")
    }

    /// curl's total timeout was cut to the client's deadline, and its expiry counted as the provider's failure.
    @Test func theClientsOwnDeadlineIsNoProviderFailure() async throws {
        let fake = try FakeUpstream(kind: "openai", models: ["only-b"])
        defer { withExtendedLifetime(fake) {} }
        let gateway = ModelGateway(
            config: try ConfigLoader.parse(Self.yaml.replacingOccurrences(of: "FAKE", with: fake.baseURL), file: "t"))
        let context = CallContext(requestID: "t", deadline: MonotonicInstant.now().advanced(byNanoseconds: 300_000_000))
        do {
            _ = try await gateway.generate(
                GenerateRequest(model: "only-b", prompt: "fault:slow_first=2000"), context: context)
            Issue.record("answered before the provider did")
        } catch let error as GatewayError {
            #expect(error.kind == .deadlineExceeded)
        }
        #expect(!gateway.breaker.isOpen("b"), "the client's deadline opened the provider's circuit")
    }
}
