import Testing

@testable import Gateway

@Suite(.serialized) struct TransferLifetimeTests {
    @Test func everyTransferIsFreedWhenItsRequestEnds() async throws {
        let fake = try FakeUpstream(kind: "openai", models: ["m"])
        defer { withExtendedLifetime(fake) {} }
        let client = HTTPClient()
        let gateway = try gateway(for: fake, models: "  - {name: m, provider: fake-openai}", client: client)
        let context = CallContext(requestID: "t")
        for index in 0..<10 {
            _ = try await gateway.generate(GenerateRequest(model: "m", prompt: "unary \(index)"), context: context)
            _ = try await collect(
                try await gateway.streamGenerate(
                    GenerateRequest(model: "m", prompt: "stream \(index)"), context: context))
        }
        // Abandoned mid-stream: dropped without reading to the end.
        do {
            var iterator = try await gateway.streamGenerate(
                GenerateRequest(model: "m", prompt: "fault:tokens=100 fault:delay=20"), context: context
            ).makeAsyncIterator()
            _ = try await iterator.next()
        }
        // Transfers are settled on their loop, asynchronously: wait for it, bounded.
        for _ in 0..<200 where client.liveTransfers.current > 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(client.liveTransfers.current == 0, "curl transfers leaked")
    }
}

@Suite(.serialized) struct TransferCancellationTests {
    /// The cancel handler ran before the transfer existed and found nothing to abort; the transfer then
    /// started anyway and the provider generated to the end for nobody.
    @Test func aCallCancelledBeforeItStartsNeverReachesTheProvider() async throws {
        let fake = try FakeUpstream(kind: "openai", models: ["m"])
        defer { withExtendedLifetime(fake) {} }
        let client = HTTPClient()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await client.send(
                .post(
                    fake.baseURL + "/v1/chat/completions", json: Self.chat("cancelled-early"),
                    timeouts: UpstreamTimeouts(total: 5)))
        }
        await #expect(throws: GatewayError.self) { _ = try await task.value }
        // A request after it is seen by the fake; the cancelled one never is.
        let later = try await client.send(
            .post(
                fake.baseURL + "/v1/chat/completions", json: Self.chat("later"),
                timeouts: UpstreamTimeouts(total: 5)))
        _ = try await later.body.collect()
        let prompts = try await fake.requests(path: "/v1/chat/completions").compactMap {
            $0["body"]?["messages"]?.arrayValue?.first?["content"]?.stringValue
        }
        #expect(prompts == ["later"])
    }

    static func chat(_ prompt: String) -> JSON {
        ["model": "m", "messages": [["role": "user", "content": .string(prompt)]]]
    }
}
