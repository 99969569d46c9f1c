import Reactor
import Testing

@testable import Gateway

/// The stream relay apart from any network: it holds events until the first content (so the request can
/// still fail over), then relays them, and ends the call's record exactly once however the stream ends.
@Suite struct StreamRelayTests {
    static let yaml = """
        providers:
          - {name: a, type: ollama, endpoint: "http://127.0.0.1:9"}
        models:
          - {name: m, provider: a, pricing: {input_per_mtok: 500000, output_per_mtok: 1000000}}
        """

    let gateway = ModelGateway(config: try! ConfigLoader.parse(Self.yaml, file: "t"))

    /// A provider stream that yields `events` then ends, or fails with `error`.
    static func scripted(_ events: [ProviderEvent], then error: GatewayError? = nil) -> ProviderEventStream {
        let queue = Locked(events)
        return ProviderEventStream(unfolding: {
            if let event = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return event }
            if let error { throw error }
            return nil
        })
    }

    /// A relay over `events` for model `m`, with its call's record started.
    func relay(_ events: ProviderEventStream, request: GenerateRequest = GenerateRequest(model: "m", prompt: "p"))
        -> (StreamRelay, CallRecorder)
    {
        let entry = gateway.registry.resolve("m")!
        var plan = gateway.failover.planner.plan(for: entry, needing: .stream)
        let attempt = plan.next()!
        let recorder = gateway.records.start(.streamGenerate, model: "m", context: CallContext(requestID: "t"))
        let relay = StreamRelay(
            events: events, attempt: attempt, requested: entry, request: request,
            recorder: recorder, permit: nil)
        return (relay, recorder)
    }

    /// An event stream that counts what its consumer pulls.
    static func counted(_ events: [ProviderEvent], pulled: Locked<Int>) -> ProviderEventStream {
        let queue = Locked(events)
        return ProviderEventStream(unfolding: {
            queue.withLock { queue -> ProviderEvent? in
                guard !queue.isEmpty else { return nil }
                pulled.withLock { $0 += 1 }
                return queue.removeFirst()
            }
        })
    }

    var requestsRecorded: Int { gateway.usage.report().totals.requests }

    @Test func eventsAreHeldUntilTheFirstContentThenRelayedWithTotals() async throws {
        let pulled = Locked(0)
        let events: [ProviderEvent] = [
            .usage(input: 3, output: nil, cachedInput: nil), .delta("Hel"), .delta("lo"),
            .usage(input: nil, output: 2, cachedInput: nil), .finish(.length),
        ]
        let (relay, recorder) = relay(Self.counted(events, pulled: pulled))
        try await relay.awaitFirstContent()
        #expect(pulled.withLock { $0 } == 2, "read past the first content")
        #expect(relay.state == StreamRelay.State.holding && !recorder.isEnded && requestsRecorded == 0)

        var chunks: [GenerateChunk] = []
        for try await chunk in relay.handOut() { chunks.append(chunk) }
        #expect(chunks.map(\.content) == ["Hel", "lo", ""])
        let last = try #require(chunks.last)
        #expect(last.done && last.finishReason == .length)
        #expect(last.tokensInput == 3 && last.tokensOutput == 2)
        #expect(last.costUSD == 1.5 + 2)
        #expect(relay.state == StreamRelay.State.ended && recorder.isEnded)
        #expect(requestsRecorded == 1)
        #expect(gateway.metrics.registry.value("gateway_requests_total", ["stream_generate", "m", "a", "ok"]) == 1)
    }

    @Test func aStreamWithoutContentEndsAtOnce() async throws {
        let (relay, _) = relay(Self.scripted([.finish(.stop)]))
        try await relay.awaitFirstContent()
        var chunks: [GenerateChunk] = []
        for try await chunk in relay.handOut() { chunks.append(chunk) }
        #expect(chunks.count == 1 && chunks[0].done && chunks[0].tokensOutput == 0)
    }

    @Test func aFailureBeforeContentIsTheRequestsToReport() async {
        let (relay, recorder) = relay(
            Self.scripted([.usage(input: 1, output: nil, cachedInput: nil)], then: GatewayError(.providerError, "x")))
        await #expect(throws: GatewayError.self) { try await relay.awaitFirstContent() }
        // Still holding: the request may fail over, so the relay records nothing of its own.
        #expect(relay.state == StreamRelay.State.holding && !recorder.isEnded && requestsRecorded == 0)
    }

    @Test func aFailureAfterContentEndsTheRecordWithTheTokensRelayed() async throws {
        let (relay, recorder) = relay(
            Self.scripted([.delta("a"), .delta("b")], then: GatewayError(.providerTimeout, "stalled")))
        try await relay.awaitFirstContent()
        var iterator = relay.handOut().makeAsyncIterator()
        #expect(try await iterator.next()?.content == "a")
        #expect(try await iterator.next()?.content == "b")
        await #expect(throws: GatewayError(.providerTimeout, "stalled")) { try await iterator.next() }
        #expect(relay.state == StreamRelay.State.ended && recorder.isEnded)
        let totals = gateway.usage.report().totals
        #expect(totals.requests == 1 && totals.tokensOutput == 2, "the pieces relayed count as output")
        #expect(try await iterator.next() == nil)
    }

    /// A provider's stream whose source notes when the consumer lets go of it (what cancels a real call).
    final class Upstream: Sendable {
        let events: Locked<[ProviderEvent]>
        let released: Locked<Bool>

        init(_ events: [ProviderEvent], released: Locked<Bool>) {
            self.events = Locked(events)
            self.released = released
        }

        deinit { released.withLock { $0 = true } }

        static func stream(_ events: [ProviderEvent], released: Locked<Bool>) -> ProviderEventStream {
            let upstream = Upstream(events, released: released)
            return ProviderEventStream(unfolding: {
                upstream.events.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            })
        }
    }

    @Test func eventsThatArriveTogetherAreRelayedTogether() async throws {
        let batches = Locked<[[ProviderEvent]]>([
            [.delta("a"), .delta("b"), .usage(input: 1, output: 2, cachedInput: nil)], [],
            [.delta("c"), .finish(.stop)],
        ])
        let (relay, recorder) = relay(
            ProviderEventStream(batches: { batches.withLock { $0.isEmpty ? nil : $0.removeFirst() } }))
        try await relay.awaitFirstContent()
        let stream = relay.handOut()
        let first = try #require(try await stream.nextBatch())
        #expect(first.chunks.map(\.content) == ["a", "b"])
        // Text travels as the text alone; made whole, it carries the stream's id, model and provider.
        #expect(first.pieces.allSatisfy { if case .text = $0 { true } else { false } })
        #expect(first.chunks.allSatisfy { $0.id == first.id && $0.model == "m" && !$0.done })
        let second = try #require(try await stream.nextBatch())
        #expect(second.chunks.map(\.content) == ["c"])
        #expect(second.origin === first.origin)  // made once per stream
        let last = try #require(try await stream.nextBatch()?.chunks)
        #expect(last.count == 1 && last[0].done && last[0].tokensOutput == 2 && last[0].id == first.id)
        #expect(try await stream.nextBatch() == nil)
        #expect(recorder.isEnded)
    }

    @Test func closingEndsTheRecordOnceAndReleasesTheUpstream() async throws {
        let terminated = Locked(false)
        let (relay, recorder) = relay(Upstream.stream([.delta("a"), .delta("b")], released: terminated))
        try await relay.awaitFirstContent()
        let stream = relay.handOut()
        var iterator = stream.makeAsyncIterator()
        #expect(try await iterator.next()?.content == "a")
        stream.close()
        #expect(relay.state == StreamRelay.State.ended && recorder.isEnded)
        #expect(terminated.withLock { $0 }, "the upstream stream was not let go")
        #expect(requestsRecorded == 1)
        stream.close()
        #expect(requestsRecorded == 1, "closed twice, recorded twice")
        #expect(try await iterator.next() == nil)
        #expect(gateway.metrics.registry.value("gateway_inflight_requests") == 0)
    }
}
