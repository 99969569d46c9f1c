import Testing

@testable import Gateway

/// `ModelGateway.reload`: new calls use the new configuration at once; usage and metrics carry on.
@Suite struct ReloadTests {
    static func config(_ alias: String, keys: String = "[]") throws -> GatewayConfig {
        try ConfigLoader.parse(
            """
            auth: {api_keys: \(keys)}
            providers: [{name: builtin, type: builtin}]
            models: [{name: m, provider: builtin, aliases: [\(alias)], rate_limit: {requests_per_minute: 2}}]
            """, file: "t")
    }

    @Test func aliasesKeysAndCountsAfterAReload() async throws {
        let gateway = ModelGateway(config: try Self.config("old"))
        let context = try gateway.admit(ArrivingCall(header: { _ in nil })).admitted()
        _ = try await gateway.generate(GenerateRequest(model: "old", prompt: "a"), context: context)
        gateway.reload(try Self.config("new"))
        await #expect(throws: GatewayError.self) {
            try await gateway.generate(GenerateRequest(model: "old", prompt: "a"), context: context)
        }
        _ = try await gateway.generate(GenerateRequest(model: "new", prompt: "a"), context: context)
        let requests = await gateway.usageReport().report.totals.requests
        #expect(requests == 2, "usage carries on across the reload")
        // The rate-limit store was kept (rate_limits unchanged): a third request of the model within the minute
        // is one too many, though the second generation has seen only one.
        do {
            _ = try await gateway.generate(GenerateRequest(model: "new", prompt: "a"), context: context)
            Issue.record("the count of the first generation was lost")
        } catch let error as GatewayError {
            #expect(error.kind == .rateLimited)
        }
        #expect(gateway.metrics.registry.value("gateway_config_reloads_total", ["ok"]) == 1)
        gateway.reload(try Self.config("new", keys: "[sk-1]"))
        #expect(gateway.admit(ArrivingCall(header: { _ in nil })).refusal?.kind == .unauthenticated)
    }

    @Test func aCallKeepsTheGenerationItStartedOn() async throws {
        let gateway = ModelGateway(config: try Self.config("old"))
        let context = try gateway.admit(ArrivingCall(header: { _ in nil })).admitted()
        let stream = try await gateway.streamGenerate(
            GenerateRequest(model: "old", prompt: "one two three"), context: context)
        gateway.reload(try Self.config("new"))
        var text = ""
        for try await chunk in stream { text += chunk.content }
        #expect(text == "one two three")
    }
}
