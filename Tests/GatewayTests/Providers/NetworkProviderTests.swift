import Synchronization
import Testing

@testable import Gateway

/// Each network provider end to end through `ModelGateway`, against a fake speaking its wire format.
@Suite(.serialized) struct NetworkProviderTests {
    static let kinds = ["ollama", "openai", "anthropic"]
    let context = CallContext(requestID: "t")

    private func setUp(_ kind: String, options: String = "") throws -> (FakeUpstream, ModelGateway) {
        let fake = try FakeUpstream(kind: kind, models: ["m1", "m2"])
        let gateway = try gateway(
            for: fake,
            models: "  - {name: m1, provider: fake-\(kind), pricing: {input_per_mtok: 1, output_per_mtok: 2}}",
            providerOptions: options)
        return (fake, gateway)
    }

    @Test(arguments: kinds) func completesWithExactTextCountsAndCost(kind: String) async throws {
        let (fake, gateway) = try setUp(kind)
        defer { withExtendedLifetime(fake) {} }
        let answer = try await gateway.generate(
            GenerateRequest(model: "m1", prompt: "hello wide world", systemPrompt: "be brief"), context: context)
        #expect(answer.content == "Echo: hello wide world")
        #expect(answer.tokensInput == 5)  // the fake counts the words of system and prompt
        #expect(answer.tokensOutput == 4)
        #expect(answer.finishReason == .stop)
        #expect(answer.provider == "fake-\(kind)")
        #expect(abs(answer.costUSD - (5 * 1 + 4 * 2) / 1_000_000) < 1e-12)
    }

    @Test(arguments: kinds) func streamsDeltasThatConcatenateToTheText(kind: String) async throws {
        let (fake, gateway) = try setUp(kind)
        defer { withExtendedLifetime(fake) {} }
        let chunks = try await collect(
            try await gateway.streamGenerate(
                GenerateRequest(
                    model: "m1", messages: [ChatMessage(role: "user", content: "split é ☕ fault:split fault:keepalive")]
                ),
                context: context))
        #expect(chunks.map(\.content).joined() == "Echo: split é ☕ fault:split fault:keepalive")
        #expect(chunks.filter(\.done).count == 1)
        let last = try #require(chunks.last)
        #expect(last.done && last.finishReason == .stop && last.tokensInput == 5 && last.tokensOutput == 6)
    }

    @Test(arguments: kinds) func sendsTheRequestInTheProviderFormat(kind: String) async throws {
        let (fake, gateway) = try setUp(kind)
        defer { withExtendedLifetime(fake) {} }
        _ = try await collect(
            try await gateway.streamGenerate(
                GenerateRequest(
                    model: "m1", prompt: "p", systemPrompt: "s", temperature: 0.2, maxTokens: 77,
                    stopSequences: ["END"], topP: 0.9),
                context: context))
        let path = ["ollama": "/api/generate", "openai": "/v1/chat/completions", "anthropic": "/v1/messages"][kind]!
        let sent = try #require(try await fake.requests(path: path).last)
        let body = try #require(sent["body"])
        switch kind {
        case "ollama":
            #expect(body["prompt"] == "p" && body["system"] == "s" && body["stream"] == true)
            #expect(body["options"] == ["temperature": 0.2, "num_predict": 77, "top_p": 0.9, "stop": ["END"]])
        case "openai":
            #expect(body["messages"] == [["role": "system", "content": "s"], ["role": "user", "content": "p"]])
            #expect(body["max_tokens"] == 77 && body["stop"] == ["END"] && body["top_p"] == 0.9)
            #expect(body["stream_options"] == ["include_usage": true])
        default:
            #expect(body["system"] == "s" && body["messages"] == [["role": "user", "content": "p"]])
            #expect(body["max_tokens"] == 77 && body["stop_sequences"] == ["END"] && body["stream"] == true)
            #expect(
                sent["headers"]?["x-api-key"] == "test-key" && sent["headers"]?["anthropic-version"] == "2023-06-01")
        }
    }

    @Test(arguments: kinds) func mapsProviderErrorStatuses(kind: String) async throws {
        let (fake, gateway) = try setUp(kind)
        defer { withExtendedLifetime(fake) {} }
        for (fault, expected) in [
            ("http500", GatewayError.Kind.providerError), ("http401", .providerError), ("http429", .rateLimited),
        ] {
            do {
                _ = try await gateway.generate(GenerateRequest(model: "m1", prompt: "fault:\(fault)"), context: context)
                Issue.record("\(fault) succeeded")
            } catch let error as GatewayError {
                #expect(error.kind == expected, "\(fault): \(error)")
                if fault == "http429" { #expect(error.retryAfterSeconds == 7) }
                if fault == "http401" { #expect(error.message.contains("credentials")) }
            }
        }
    }

    @Test(arguments: kinds) func errorsAfterContentEndTheStreamWithAnError(kind: String) async throws {
        let (fake, gateway) = try setUp(kind)
        defer { withExtendedLifetime(fake) {} }
        for fault in ["fault:delay=150 fault:reset_after=2", "fault:error_after=2"] {
            let stream = try await gateway.streamGenerate(
                GenerateRequest(model: "m1", prompt: "a b c d \(fault)"), context: context)
            var received: [String] = []
            do {
                for try await chunk in stream { received.append(chunk.content) }
                Issue.record("\(fault): the stream ended cleanly")
            } catch let error as GatewayError {
                #expect(error.kind == .providerError, "\(fault): \(error)")
            }
            #expect(received == ["Echo:", " a"], "\(fault)")
        }
    }

    @Test(arguments: kinds) func lengthFinishIsNormalised(kind: String) async throws {
        let (fake, gateway) = try setUp(kind)
        defer { withExtendedLifetime(fake) {} }
        let answer = try await gateway.generate(
            GenerateRequest(model: "m1", prompt: "x fault:length"), context: context)
        #expect(answer.finishReason == .length)
    }

    @Test(arguments: kinds) func slowFirstTokenTimesOutWithinItsLimit(kind: String) async throws {
        let (fake, gateway) = try setUp(kind, options: "first_token_timeout_s: 0.3")
        defer { withExtendedLifetime(fake) {} }
        let started = ContinuousClock.now
        await #expect(throws: GatewayError.self) {
            _ = try await gateway.streamGenerate(
                GenerateRequest(model: "m1", prompt: "fault:slow_first=3000"), context: context)
        }
        #expect(ContinuousClock.now - started < .seconds(2))
        do {
            _ = try await gateway.generate(GenerateRequest(model: "m1", prompt: "fault:hang"), context: context)
        } catch let error as GatewayError {
            #expect(error.kind == .providerTimeout)
        }
    }

    /// Waits for the fake to log a disconnect; returns its CLOCK_MONOTONIC time.
    private func disconnectTime(_ fake: FakeUpstream) async throws -> Double? {
        for _ in 0..<200 {
            if let at = try await fake.log().first(where: { $0["event"]?.stringValue == "disconnect" })?["at"]?
                .doubleValue
            {
                return at
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    @Test(arguments: kinds) func cancellingAStreamClosesTheUpstreamConnectionWithin100ms(kind: String) async throws {
        let (fake, gateway) = try setUp(kind)
        defer { withExtendedLifetime(fake) {} }
        let received = Atomic<Int>(0)
        let reader = Task {
            let stream = try await gateway.streamGenerate(
                GenerateRequest(model: "m1", prompt: "fault:tokens=200 fault:delay=50"), context: context)
            for try await _ in stream { received.add(1, ordering: .relaxed) }
        }
        while received.load(ordering: .relaxed) < 2 { try await Task.sleep(for: .milliseconds(5)) }
        reader.cancel()  // what a front door does when its client resets the stream or disconnects
        let cancelledAt = monotonicSeconds()
        await #expect(throws: (any Error).self) { try await reader.value }
        let at = try #require(try await disconnectTime(fake), "the fake never saw the connection close")
        #expect(at - cancelledAt < 0.1, "closed \(Int((at - cancelledAt) * 1000)) ms after the cancel")
    }

    @Test(arguments: kinds) func droppingAStreamUnreadClosesTheUpstreamConnection(kind: String) async throws {
        let (fake, gateway) = try setUp(kind)
        defer { withExtendedLifetime(fake) {} }
        do {
            let stream = try await gateway.streamGenerate(
                GenerateRequest(model: "m1", prompt: "fault:tokens=200 fault:delay=50"), context: context)
            var iterator = stream.makeAsyncIterator()
            _ = try await iterator.next()
        }
        let droppedAt = monotonicSeconds()
        let at = try #require(try await disconnectTime(fake), "the fake never saw the connection close")
        #expect(at - droppedAt < 0.1)
    }

    @Test(arguments: kinds) func discoveryListsProviderModelsAndStatus(kind: String) async throws {
        let (fake, gateway) = try setUp(kind)
        defer { withExtendedLifetime(fake) {} }
        #expect(try gateway.model(named: "m1").status == .unknown)
        await gateway.probeNow()
        #expect(try gateway.model(named: "m1").status == .available)
        let names = gateway.listModels(provider: "fake-\(kind)").models.map(\.name)
        #expect(names.contains("m2"), "discovered model missing: \(names)")
        let health = await gateway.health(detailed: true)
        #expect(health.providers.first { $0.name == "fake-\(kind)" }?.status == .up)
    }
}

@Suite(.serialized) struct ProviderEdgeTests {
    let context = CallContext(requestID: "t")

    @Test func embeddingsFromOllamaAndOpenAI() async throws {
        for kind in ["ollama", "openai"] {
            let fake = try FakeUpstream(kind: kind, models: ["emb"])
            defer { withExtendedLifetime(fake) {} }
            let gateway = try gateway(
                for: fake,
                models: "  - {name: emb, provider: fake-\(kind), capabilities: [embedding], aliases: [embedding]}")
            let answer = try await gateway.embed(
                EmbedRequest(model: "embedding", input: ["one two", "three"]), context: context)
            #expect(answer.embeddings == [[7, 2, 0.5, -0.25], [5, 1, 0.5, -0.25]])
            #expect(answer.tokensInput == 3)
            #expect(answer.model == "emb")
            await #expect(throws: GatewayError.self) {
                try await gateway.embed(EmbedRequest(model: "embedding", input: []), context: context)
            }
        }
    }

    @Test func embeddingOnAGenerationModelIsInvalid() async throws {
        let gateway = ModelGateway(
            config: try ConfigLoader.parse("providers:\n  - {name: builtin, type: builtin}", file: "t"))
        do {
            _ = try await gateway.embed(EmbedRequest(model: "echo", input: ["x"]), context: context)
            Issue.record("embedding on echo succeeded")
        } catch let error as GatewayError {
            #expect(error.kind == .invalidRequest)
        }
    }

    @Test func anthropicWithoutAKeySendsNothing() async throws {
        let fake = try FakeUpstream(kind: "anthropic", models: ["claude"])
        defer { withExtendedLifetime(fake) {} }
        let yaml = """
            providers:
              - {name: anthropic, type: anthropic, endpoint: "\(fake.baseURL)", api_key: ""}
            models:
              - {name: claude, provider: anthropic}
            """
        let gateway = ModelGateway(config: try ConfigLoader.parse(yaml, file: "t"))
        await gateway.probeNow()
        do {
            _ = try await gateway.generate(GenerateRequest(model: "claude", prompt: "hi"), context: context)
            Issue.record("an inactive provider answered")
        } catch let error as GatewayError {
            #expect(error.kind == .noProviderAvailable)
        }
        #expect(try gateway.model(named: "claude").status == .unavailable)
        #expect(try await fake.log().isEmpty, "the fake received traffic")
        #expect((await gateway.health(detailed: true)).providers.first?.status == .inactive)
    }

    @Test func unreachableProviderIsUnavailableAndAnswers503() async throws {
        let yaml = """
            providers:
              - {name: gone, type: ollama, endpoint: "http://127.0.0.1:9", connect_timeout_s: 1}
            models:
              - {name: m, provider: gone}
            """
        let gateway = ModelGateway(config: try ConfigLoader.parse(yaml, file: "t"))
        do {
            _ = try await gateway.generate(GenerateRequest(model: "m", prompt: "hi"), context: context)
            Issue.record("answered")
        } catch let error as GatewayError {
            #expect(error.kind == .noProviderAvailable)
        }
        await gateway.probeNow()
        #expect(try gateway.model(named: "m").status == .unavailable)
        #expect(gateway.listModels().models.map(\.name).contains("m"), "an unavailable model is listed, not hidden")
        let health = await gateway.health(detailed: true)
        #expect(health.status == .unhealthy)
    }
}

@Suite(.serialized) struct CachedInputPricingTests {
    @Test(arguments: ["anthropic", "openai"])
    func cachedPromptTokensArePricedAtTheCachedRate(kind: String) async throws {
        let fake = try FakeUpstream(kind: kind, models: ["m"])
        defer { withExtendedLifetime(fake) {} }
        let gateway = try gateway(
            for: fake,
            models:
                "  - {name: m, provider: fake-\(kind), pricing: {input_per_mtok: 10, output_per_mtok: 20, cached_input_per_mtok: 1}}"
        )
        // The fake reports 4 prompt tokens of which 3 came from its cache (Anthropic counts them on top).
        let answer = try await gateway.generate(
            GenerateRequest(model: "m", prompt: "a b fault:cached=3"), context: CallContext(requestID: "t"))
        let input = answer.tokensInput
        #expect(input == (kind == "anthropic" ? 6 : 3))
        let uncached = Double(input - 3)
        #expect(abs(answer.costUSD - (uncached * 10 + 3 * 1 + Double(answer.tokensOutput) * 20) / 1_000_000) < 1e-12)
    }
}
