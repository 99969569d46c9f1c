import Testing

@testable import Gateway

@Suite struct BuiltinProviderTests {
    let gateway = ModelGateway(
        config: try! ConfigLoader.parse("providers:\n  - {name: builtin, type: builtin}", file: "t"))
    let context = CallContext(requestID: "r1")

    @Test func echoesThePromptWithWordTokens() async throws {
        let answer = try await gateway.generate(
            GenerateRequest(model: "echo", prompt: "hello big world"), context: context)
        #expect(answer.content == "hello big world")
        #expect(answer.tokensInput == 3)
        #expect(answer.tokensOutput == 3)
        #expect(answer.finishReason == .stop)
        #expect(answer.provider == "builtin")
        #expect(answer.id.hasPrefix("gen-") && answer.id.count == 40)
    }

    @Test func honoursMaxTokensAndStopSequences() async throws {
        let cut = try await gateway.generate(
            GenerateRequest(model: "echo", prompt: "a b c d e", maxTokens: 2), context: context)
        #expect(cut.content == "a b")
        #expect(cut.finishReason == .length)
        let stopped = try await gateway.generate(
            GenerateRequest(model: "echo", prompt: "one two STOP three", stopSequences: ["STOP"]), context: context)
        #expect(stopped.content == "one two ")
        #expect(stopped.finishReason == .stop)
    }

    @Test func streamsWordByWordWithOneFinalChunk() async throws {
        let chunks = try await collect(
            try await gateway.streamGenerate(
                GenerateRequest(model: "echo", messages: [ChatMessage(role: "user", content: "x y z")]),
                context: context))
        #expect(chunks.map(\.content) == ["x", " y", " z", ""])
        #expect(chunks.filter(\.done).count == 1)
        let last = try #require(chunks.last)
        #expect(last.done && last.finishReason == .stop && last.tokensOutput == 3 && last.tokensInput == 3)
    }

    @Test func validatesRequests() async {
        for (request, field) in [
            (GenerateRequest(model: "", prompt: "p"), "model"),
            (GenerateRequest(model: "echo"), "prompt"),
            (GenerateRequest(model: "echo", prompt: "p", temperature: 2.5), "temperature"),
            (GenerateRequest(model: "echo", prompt: "p", maxTokens: 0), "max_tokens"),
            (GenerateRequest(model: "echo", prompt: "p", maxTokens: 100_001), "max_tokens"),
            (GenerateRequest(model: "echo", prompt: "p", topP: 1.5), "top_p"),
            (GenerateRequest(model: "echo", messages: [ChatMessage(role: "robot", content: "x")]), "messages[0].role"),
        ] {
            await #expect(throws: GatewayError.self) { try await gateway.generate(request, context: context) }
            do {
                _ = try await gateway.generate(request, context: context)
            } catch let error as GatewayError {
                #expect(error.kind == .invalidRequest && error.message.hasPrefix(field), "\(error)")
            } catch {}
        }
        await #expect(throws: GatewayError(.notFound, "unknown model \"nope\"")) {
            try await gateway.generate(GenerateRequest(model: "nope", prompt: "p"), context: context)
        }
    }
}

@Suite struct ReportSafetyTests {
    @Test func endpointsInReportsCarryNoCredentials() {
        #expect(ModelGateway.redacted("https://user:secret@api.example.com/v1") == "https://api.example.com/v1")
        #expect(ModelGateway.redacted("http://127.0.0.1:11434") == "http://127.0.0.1:11434")
        #expect(ModelGateway.redacted("http://127.0.0.1:8001/v1/a@b") == "http://127.0.0.1:8001/v1/a@b")
    }

    @Test func unknownModelNamesDoNotBecomeMetricLabels() async {
        let gateway = ModelGateway(
            config: try! ConfigLoader.parse("providers:\n  - {name: builtin, type: builtin}", file: "t"))
        for index in 0..<3 {
            _ = try? await gateway.generate(
                GenerateRequest(model: "typo-\(index)", prompt: "p"), context: CallContext(requestID: "r"))
        }
        #expect(
            gateway.metrics.registry.value("gateway_requests_total", ["generate", "unknown", "", "not_found"]) == 3)
        #expect(!gateway.renderMetrics().contains("typo-"))
    }
}

@Suite struct BuiltinProviderSizeTests {
    /// Splitting was quadratic in a whitespace run: a 60 KB prompt of spaces held a loop for ~70 s.
    @Test(.timeLimit(.minutes(1))) func longWhitespaceRunsAreSplitInLinearTime() {
        let prompt = String(repeating: " ", count: 2_000_000) + "end" + String(repeating: "\n\t ", count: 500_000)
        let (tokens, finish) = BuiltinProvider.reply(to: GenerateRequest(model: "echo", prompt: prompt))
        #expect(tokens.count == 2)
        #expect(tokens[0].utf8.count == 2_000_003)
        #expect(finish == .stop)
        let words = String(repeating: "w ", count: 300_000)
        let cut = BuiltinProvider.reply(to: GenerateRequest(model: "echo", prompt: words, maxTokens: 100_000))
        #expect(cut.tokens.count == 100_000 && cut.finish == .length)
        let stopped = BuiltinProvider.reply(
            to: GenerateRequest(
                model: "echo", prompt: String(repeating: "ab", count: 1_000_000) + "STOP tail",
                stopSequences: [String(repeating: "ab", count: 1000) + "STOP"]))
        #expect(stopped.tokens.joined().utf8.count == 2_000_000 - 2000)
    }
}
