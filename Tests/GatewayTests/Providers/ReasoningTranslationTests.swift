import Reactor
import Testing

@testable import Gateway

/// Reasoning and cache usage in each provider's stream, apart from any network, and the relay's rule:
/// reasoning reaches the client (and starts the answer) only when the request includes it.
@Suite struct ReasoningTranslationTests {
    static func events<T: StreamTranslator>(_ translator: T, _ wire: String) throws -> [ProviderEvent] {
        try ToolTranslationTests.events(translator, wire, step: 5)
    }

    static func reasoning(_ events: [ProviderEvent]) -> [ReasoningPart] {
        events.compactMap { if case .reasoning(let part) = $0 { part } else { nil } }
    }

    @Test func openAIReasoningDeltasInEitherFieldThenContent() throws {
        let wire = """
            data: {"choices":[{"index":0,"delta":{"reasoning_content":"Let me "},"finish_reason":null}]}

            data: {"choices":[{"index":0,"delta":{"reasoning":"think."},"finish_reason":null}]}

            data: {"choices":[{"index":0,"delta":{"content":"Blue."},"finish_reason":"stop","stop_reason":"END"}]}

            data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":9,"completion_tokens_details":{"reasoning_tokens":6}}}

            data: [DONE]


            """
        let events = try Self.events(OpenAIStreamTranslator(provider: "p"), wire)
        #expect(Self.reasoning(events).map(\.text) == ["Let me ", "think."])
        #expect(
            events.firstIndex(of: .delta("Blue."))! > events.firstIndex(of: .reasoning(ReasoningPart(text: "think.")))!)
        #expect(events.contains(.breakdown(reasoning: 6, cacheWrite: nil)))
        #expect(events.contains(.stopDetails(StopDetails(sequence: "END", providerReason: "stop"))))
    }

    @Test func ollamaThinking() throws {
        let wire = """
            {"message":{"role":"assistant","content":"","thinking":"Hmm."},"done":false}
            {"message":{"role":"assistant","content":"Yes."},"done":false}
            {"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop"}

            """
        let events = try Self.events(OllamaStreamTranslator(provider: "p"), wire)
        #expect(Self.reasoning(events) == [ReasoningPart(text: "Hmm.")])
        #expect(events.contains(.stopDetails(StopDetails(providerReason: "stop"))))
    }

    @Test func anthropicThinkingSignatureRedactedAndCacheWrites() throws {
        let wire = """
            event: message_start
            data: {"type":"message_start","message":{"usage":{"input_tokens":5,"cache_read_input_tokens":2,"cache_creation_input_tokens":40,"output_tokens":1}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Consider."}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQB"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: content_block_start
            data: {"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"opaque=="}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":1}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"###"},"usage":{"output_tokens":7}}

            event: message_stop
            data: {"type":"message_stop"}


            """
        let events = try Self.events(AnthropicStreamTranslator(provider: "p"), wire)
        #expect(
            Self.reasoning(events) == [
                ReasoningPart(text: "Consider."), ReasoningPart(signature: "EqQB"),
                ReasoningPart(redactedData: Array("opaque==".utf8)),
            ])
        #expect(events.contains(.usage(input: 47, output: nil, cachedInput: 2)), "cache reads and writes are input")
        #expect(events.contains(.breakdown(reasoning: nil, cacheWrite: 40)))
        #expect(events.contains(.stopDetails(StopDetails(sequence: "###", providerReason: "stop_sequence"))))
    }

    @Test func cacheWritesArePricedApart() {
        let pricing = Pricing(inputPerMtok: 3, outputPerMtok: 15, cachedInputPerMtok: 0.3, cacheWritePerMtok: 3.75)
        let cost = pricing.cost(TokenCounts(input: 1_000_150, output: 10, cachedInput: 50, cacheWrite: 100))
        #expect(abs(cost - (1_000_000 * 3 + 50 * 0.3 + 100 * 3.75 + 10 * 15) / 1_000_000) < 1e-12)
    }
}

/// The relay's rule for reasoning: relayed (and the start of the answer) only when included.
@Suite struct ReasoningRelayTests {
    let relays = StreamRelayTests()

    func request(include: Bool) -> GenerateRequest {
        GenerateRequest(model: "m", prompt: "p", reasoning: ReasoningConfig(effort: .low, include: include))
    }

    @Test func includedReasoningIsRelayedAndStartsTheAnswer() async throws {
        let pulled = Locked(0)
        let events: [ProviderEvent] = [.reasoning(ReasoningPart(text: "Hm.")), .delta("Yes"), .finish(.stop)]
        let (relay, _) = relays.relay(StreamRelayTests.counted(events, pulled: pulled), request: request(include: true))
        try await relay.awaitFirstContent()
        #expect(pulled.withLock { $0 } == 1, "the reasoning is already the answer's start")
        var chunks: [GenerateChunk] = []
        for try await chunk in relay.handOut() { chunks.append(chunk) }
        #expect(chunks.first?.reasoning == ReasoningPart(text: "Hm.") && chunks.first?.content == "")
        #expect(chunks.map(\.content).joined() == "Yes")
    }

    @Test func reasoningNotIncludedIsNeitherRelayedNorTheStart() async throws {
        let pulled = Locked(0)
        let events: [ProviderEvent] = [.reasoning(ReasoningPart(text: "Hm.")), .delta("Yes"), .finish(.stop)]
        let (relay, _) = relays.relay(
            StreamRelayTests.counted(events, pulled: pulled), request: request(include: false))
        try await relay.awaitFirstContent()
        #expect(pulled.withLock { $0 } == 2, "failover stays possible until the first content")
        var chunks: [GenerateChunk] = []
        for try await chunk in relay.handOut() { chunks.append(chunk) }
        #expect(chunks.allSatisfy { $0.reasoning == nil })
    }
}
