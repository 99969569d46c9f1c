import Reactor
import Testing

@testable import Gateway

/// A relay whose chunks are pushed (`relay(to:)` on an event loop): chunks arriving while it waits go from
/// the transfer's callback straight to the sink, and its task wakes only when the client falls behind, at the
/// end, or on an error — each of which ends the call's record as the pulled relay does.
extension StreamRelayTests {
    /// Each piece of the body is one piece of text; "boom" is a piece the provider got wrong.
    struct TextPieces: StreamTranslator {
        let provider = "a"

        mutating func feed(_ bytes: Swift.Span<UInt8>, into events: inout [ProviderEvent]) throws {
            let text = bytes.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
            if text == "boom" { throw GatewayError(.providerError, "a malformed piece") }
            events.append(.delta(text))
        }

        mutating func finish() throws -> [ProviderEvent] { [.finish(.stop)] }
    }

    /// The client went away.
    struct ClientGone: Error, Equatable {}

    /// A client end on `loop` that records each batch's texts and whether it was pushed (`writeNow`) or
    /// written by the relay's task (`write`). Pushed a batch with "slow", it falls behind; "gone" fails it.
    final class RecordingSink: ChunkSink, @unchecked Sendable {
        let loop: EventLoop
        let batches = Locked<[(pushed: Bool, texts: [String])]>([])
        let roomWaits = Locked(0)

        init(loop: EventLoop) {
            self.loop = loop
        }

        var canWriteNow: Bool { loop.inEventLoop }

        func writeNow(_ batch: ChunkBatch) throws -> Bool {
            let texts = batch.chunks.map(\.content)
            if texts.contains("gone") { throw ClientGone() }
            batches.withLock { $0.append((true, texts)) }
            return !texts.contains("slow")
        }

        func waitForRoom() async throws { roomWaits.withLock { $0 += 1 } }

        func write(_ batch: ChunkBatch) async throws {
            let texts = batch.chunks.map(\.content)
            if texts.contains("gone") { throw ClientGone() }
            batches.withLock { $0.append((false, texts)) }
        }

        var count: Int { batches.withLock { $0.count } }
    }

    /// A relay over a body whose pieces arrive on a running loop, as a curl transfer's do.
    final class PushedStream {
        let group = EventLoopGroup(count: 1)
        let channel: BodyChannel
        let cancels = Locked(0)
        var loop: EventLoop { group.loops[0] }

        init() {
            group.start()
            let cancels = self.cancels
            channel = BodyChannel(loop: group.loops[0], resume: {}, cancel: { cancels.withLock { $0 += 1 } })
        }

        deinit { group.shutdown() }

        var events: ProviderEventStream { ProviderHTTP.events(UpstreamBody(channel: channel), TextPieces()) }

        /// Offers a piece on the loop, as curl's callback does.
        func arrive(_ text: String) {
            let channel = self.channel
            loop.execute { _ = channel.offer(Array(text.utf8)) }
        }

        func end() {
            let channel = self.channel
            loop.execute { channel.finish(nil) }
        }
    }

    /// A relay on the loop as a front door's task runs it — to the first content ("a"), then to its sink,
    /// closed after — once it waits for the next piece with that first chunk written.
    struct Relaying {
        let upstream: PushedStream
        let relay: StreamRelay
        let recorder: CallRecorder
        let sink: RecordingSink
        let task: Task<Void, any Error>
    }

    func relayingAfterTheFirstChunk() async -> Relaying {
        let upstream = PushedStream()
        let (relay, recorder) = relay(upstream.events)
        let sink = RecordingSink(loop: upstream.loop)
        upstream.arrive("a")
        let task = Task(executorPreference: upstream.loop) {
            try await relay.awaitFirstContent()
            let stream = relay.handOut()
            defer { stream.close() }
            try await stream.relay(to: sink)
        }
        #expect(await soon { sink.count == 1 && upstream.channel.hasWaiter })
        return Relaying(upstream: upstream, relay: relay, recorder: recorder, sink: sink, task: task)
    }

    /// Whether `condition` came true within a bounded number of yields.
    func soon(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<1_000_000 where !condition() { await Task.yield() }
        return condition()
    }

    @Test func chunksArrivingWhileTheRelayWaitsArePushedToTheSink() async throws {
        let relaying = await relayingAfterTheFirstChunk()
        let (upstream, relay, recorder, sink) = (relaying.upstream, relaying.relay, relaying.recorder, relaying.sink)
        upstream.arrive("b")
        upstream.arrive("c")
        #expect(await soon { sink.count == 3 })
        #expect(upstream.channel.hasWaiter, "the relay's task woke for a pushed chunk")
        // The wait for the provider is provider time, pushed or not: counted when the next piece or the end comes.
        let providerBefore = recorder.context.timing.providerSeconds
        try await Task.sleep(for: .milliseconds(20))
        upstream.end()
        try await relaying.task.value

        let batches = sink.batches.withLock { $0 }
        #expect(batches.map(\.pushed) == [false, true, true, false])
        #expect(batches.map(\.texts) == [["a"], ["b"], ["c"], [""]])
        #expect(relay.state == StreamRelay.State.ended && recorder.isEnded)
        #expect(gateway.usage.report().totals.tokensOutput == 3)
        #expect(gateway.metrics.registry.value("gateway_requests_total", ["stream_generate", "m", "a", "ok"]) == 1)
        #expect(recorder.context.timing.providerSeconds - providerBefore >= 0.02)
    }

    @Test func aClientThatFallsBehindIsWaitedForThenPushedToAgain() async throws {
        let relaying = await relayingAfterTheFirstChunk()
        let (upstream, sink) = (relaying.upstream, relaying.sink)
        upstream.arrive("slow")
        #expect(await soon { sink.roomWaits.withLock { $0 } == 1 && upstream.channel.hasWaiter })
        upstream.arrive("c")
        #expect(await soon { sink.count == 3 })
        upstream.end()
        try await relaying.task.value
        let batches = sink.batches.withLock { $0 }
        #expect(batches.map(\.pushed) == [false, true, true, false])
        #expect(batches.map(\.texts) == [["a"], ["slow"], ["c"], [""]])
        #expect(sink.roomWaits.withLock { $0 } == 1)
    }

    @Test func aSinkThatFailsEndsTheStreamAndStopsTheUpstream() async throws {
        let relaying = await relayingAfterTheFirstChunk()
        let (upstream, relay, recorder) = (relaying.upstream, relaying.relay, relaying.recorder)
        upstream.arrive("gone")
        await #expect(throws: ClientGone()) { try await relaying.task.value }
        #expect(relay.state == StreamRelay.State.ended && recorder.isEnded)
        #expect(gateway.usage.report().totals.tokensOutput == 2, "the chunks made count as output")
        #expect(await soon { upstream.cancels.withLock { $0 } == 1 }, "the upstream transfer was not stopped")
    }

    @Test func aPieceTheProviderGotWrongEndsTheStreamWithItsError() async throws {
        let relaying = await relayingAfterTheFirstChunk()
        let (upstream, relay, recorder) = (relaying.upstream, relaying.relay, relaying.recorder)
        upstream.arrive("boom")
        await #expect(throws: GatewayError(.providerError, "a malformed piece")) { try await relaying.task.value }
        #expect(relay.state == StreamRelay.State.ended && recorder.isEnded)
        #expect(upstream.cancels.withLock { $0 } >= 1, "the upstream transfer was not stopped")
    }
}
