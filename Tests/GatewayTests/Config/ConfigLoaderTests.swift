import Foundation
import Testing

@testable import Gateway

@Suite struct ConfigLoaderTests {
    static let shippedConfig = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/model-gateway.yaml").path

    @Test func shippedConfigHasTheSixDefaultModelsAndAliases() throws {
        let config = try ConfigLoader.load(path: Self.shippedConfig)
        let gateway = ModelGateway(config: config)
        let expected = [
            "tiny": "gemma3:4b", "small": "gemma3:12b", "large": "openai/gpt-oss-20b",
            "frontier": "claude-sonnet-4-20250514", "coding": "qwen3-coder:30b-a3b-q8_0-64k",
            "embedding": "mxbai-embed-large:335m",
        ]
        #expect(gateway.listModels().aliases == expected)
        for (alias, model) in expected {
            #expect(try gateway.model(named: alias).name == model)
            #expect(try gateway.model(named: model).aliases == [alias])
        }
        #expect(try gateway.model(named: "small").providers == ["ollama-gpu", "ollama-cpu"])
        #expect(
            try gateway.model(named: "frontier").pricing
                == Pricing(inputPerMtok: 3, outputPerMtok: 15, cachedInputPerMtok: 0.3))
        #expect(try gateway.model(named: "embedding").capabilities == [.embedding])
        #expect(try gateway.model(named: "echo").provider == "builtin")
    }

    @Test func shippedDefaultsPointOnlyAtLoopbackAndAnthropicStaysInactive() throws {
        let config = try ConfigLoader.load(path: Self.shippedConfig)
        for provider in config.providers where provider.kind == .ollama || provider.kind == .openai {
            #expect(provider.endpoint.hasPrefix("http://127.0.0.1:"), "\(provider.name): \(provider.endpoint)")
        }
        let anthropic = try #require(config.providers.first { $0.kind == .anthropic })
        if ProcessInfo.processInfo.environment["ANTHROPIC_API_KEY"] == nil { #expect(!anthropic.isActive) }
    }

    @Test func expandsVariablesWithDefaults() throws {
        let env = ["SET": "value", "EMPTY": ""]
        let lookup: (String) -> String? = { env[$0] }
        #expect(try EnvironmentExpansion.expand("${SET}", lookup: lookup) == "value")
        #expect(try EnvironmentExpansion.expand("a-${UNSET:-fallback}-b", lookup: lookup) == "a-fallback-b")
        #expect(try EnvironmentExpansion.expand("${EMPTY:-used}", lookup: lookup) == "used")
        #expect(try EnvironmentExpansion.expand("${UNSET}", lookup: lookup) == "")
        #expect(try EnvironmentExpansion.expand("${SET}${SET}", lookup: lookup) == "valuevalue")
        #expect(throws: EnvironmentExpansion.Failure.self) { try EnvironmentExpansion.expand("${OPEN", lookup: lookup) }
        #expect(throws: EnvironmentExpansion.Failure.self) {
            try EnvironmentExpansion.expand("${BAD NAME}", lookup: lookup)
        }
    }

    @Test func parsesDotEnvLines() {
        let pairs = DotEnv.parse(
            "# comment\nA=1\nexport B = two words \nC=\"quoted # kept\"\nD='x' \nE=v # trailing\n\nbad line\n")
        #expect(pairs.map { "\($0.0)=\($0.1)" } == ["A=1", "B=two words", "C=quoted # kept", "D=x", "E=v"])
    }

    @Test(arguments: [
        ("bogus: 1", "test.yaml: bogus (line 1): unknown key"),
        ("server:\n  port: eighty", "test.yaml: server.port (line 2): expected an integer, got \"eighty\""),
        ("server:\n  port: 70000", "test.yaml: server.port (line 2): 70000 is out of range 0...65535"),
        (
            "providers:\n  - name: x\n    type: nosuch",
            "test.yaml: providers[0].type (line 3): \"nosuch\" is not one of"
        ),
        (
            "providers:\n  - name: x\n    type: ollama\n    endpoint: ftp://h",
            "providers[0].endpoint (line 4): expected an http"
        ),
        (
            "providers:\n  - name: x\n    type: ollama\n    endpoint: http://127.0.0.1:1\n    timeout_s: -1",
            "providers[0].timeout_s"
        ),
        ("providers:\n  - name: x\n    type: builtin\n    colour: red", "providers[0].colour (line 4): unknown key"),
        (
            "providers:\n  - {name: b, type: builtin}\nmodels:\n  - name: m\n    provider: nope",
            "unknown provider \"nope\""
        ),
        (
            "providers:\n  - {name: b, type: builtin}\nmodels:\n  - {name: m, provider: b, fallbacks: [zz]}",
            "fallback \"zz\" is not a configured model"
        ),
        (
            "providers:\n  - {name: b, type: builtin}\nmodels:\n  - {name: m, provider: b, aliases: [a]}\n  - {name: n, provider: b, aliases: [a]}",
            "alias \"a\" already names m"
        ),
        ("providers:\n  - {name: b, type: builtin}\n  - {name: b, type: builtin}", "duplicate provider \"b\""),
        ("failover:\n  strategies: [sideways]", "failover.strategies[0] (line 2): \"sideways\" is not one of"),
        ("server: [1, 2]", "server (line 1): expected a mapping"),
        ("key: [unclosed", "test.yaml: not valid YAML"),
    ])
    func rejectsBadFilesNamingTheKeyPath(yaml: String, message: String) {
        do {
            _ = try ConfigLoader.parse(yaml, file: "test.yaml")
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.description.contains(message), "\(error.description)")
        }
    }
}

@Suite struct LimitSettingsTests {
    @Test func serverProviderAndRedisLimitsAreReadAndRangeChecked() throws {
        let config = try ConfigLoader.parse(
            """
            server: {write_timeout_s: 5, body_read_timeout_s: 7, max_connections: 100, max_buffered_request_bytes: 1048576}
            providers:
              - {name: o, type: ollama, endpoint: "http://127.0.0.1:1", max_response_bytes: 2048, max_event_bytes: 4096}
            rate_limits: {redis_timeout_ms: 50}
            """, file: "t")
        #expect(config.server.writeTimeoutS == 5 && config.server.bodyReadTimeoutS == 7)
        #expect(config.server.maxConnections == 100 && config.server.maxBufferedRequestBytes == 1_048_576)
        #expect(config.server.idleTimeoutS == nil)
        #expect(config.providers[0].maxResponseBytes == 2048 && config.providers[0].maxEventBytes == 4096)
        #expect(config.redisTimeoutMs == 50)
        for bad in [
            "server: {write_timeout_s: 0}", "server: {max_connections: -1}", "rate_limits: {redis_timeout_ms: 0}",
            "providers: [{name: o, type: ollama, endpoint: 'http://127.0.0.1:1', max_event_bytes: 10}]",
        ] {
            #expect(throws: ConfigError.self) { try ConfigLoader.parse(bad, file: "t") }
        }
    }
}
