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
