import Reactor

/// Turns one attempt's provider events into chunks: the events up to the first content are held (so the
/// gateway can still fail over), then everything flows. Once handed out, the relay owns the call's record
/// and ends it however the stream ends: with totals and cost, with the upstream's error, or cancelled when
/// the client stops reading.
///
/// Loop-confined: created, pulled and closed by the one task that serves the call. While that task waits in
/// `relay(to:)`, the provider's transfer callback, on the same loop, pushes chunks through it instead.
@usableFromInline
final class StreamRelay: @unchecked Sendable {
    /// Where a relay is in its life.
    enum State: Equatable {
        /// Reading up to the first content; a failure here is the request's (it may still fail over).
        case holding
        /// Handed to the front door: chunks flow, and the relay owns the call's record.
        case relaying
        /// The record is ended (finished, failed, or closed); nothing more is read.
        case ended
    }

    private(set) var state = State.holding
    /// Nil once ended, so a stream closed early cancels its upstream call at once.
    private var events: ProviderEventStream?
    private let attempt: Attempt
    /// Made once: every chunk carries its id, model and provider (the provider's name through its protocol
    /// copied its whole config).
    private let origin: ChunkOrigin
    private let requested: ModelEntry
    private let request: GenerateRequest
    private let recorder: CallRecorder
    /// Held until the stream ends: the provider's concurrency slot.
    private var permit: ConcurrencyLimiter.Permit?
    /// Events read and not yet turned into chunks (up to the first content, the ones held).
    private var pending: [ProviderEvent] = []
    private var pendingIndex = 0
    private var tokens = TokenCounts()
    private var outputReported = false
    /// Text pieces relayed: the output count when the stream is cut before the provider reports usage.
    private var deltas = 0
    private var finishReason: FinishReason = .stop
    private var stop = StopDetails()
    /// Why the last stretch of pushed batches stopped, when the sink stopped it.
    private var pushStop: PushStop?
    /// While pushing: since when the relay has been waiting on the provider (the rest is the gateway's time).
    private var waitingSince = MonotonicInstant(nanoseconds: 0)
    /// The pieces of the batch being pushed: one array kept for every push (the sink writes a pushed batch
    /// before it returns, so the array is this relay's alone again by the next).
    private var pushedPieces: [ChunkBatch.Piece] = []
    /// Reasoning goes to the client only when asked for; then it is the start of the answer.
    private var includeReasoning: Bool { request.reasoning?.include == true }

    init(
        events: ProviderEventStream, attempt: Attempt, requested: ModelEntry, request: GenerateRequest,
        recorder: CallRecorder, permit: ConcurrencyLimiter.Permit?
    ) {
        self.events = events
        self.attempt = attempt
        origin = ChunkOrigin(
            id: RequestID.generation(), model: attempt.model.name, provider: attempt.route.provider.name)
        self.requested = requested
        self.request = request
        self.recorder = recorder
        self.permit = permit
    }

    deinit {
        // Front doors close their streams; this only keeps a consumer that drops one from losing its usage.
        if state == .relaying { end(.cancelled) }
    }

    /// Reads until the first text (or the end); errors here are still eligible for failover.
    func awaitFirstContent() async throws {
        while let batch = try await events?.next() {
            pending.append(contentsOf: batch)
            for event in batch {
                switch event {
                case .delta, .toolCall: return  // a tool call is content: the stream never fails over after it
                case .reasoning where includeReasoning: return  // reasoning sent is the start of the answer
                default: continue
                }
            }
        }
    }

    /// Hands the stream to the front door; from here the relay ends the call's record.
    func handOut() -> GenerationStream {
        state = .relaying
        recorder.answerBegan(attempt)
        return GenerationStream(relay: self)
    }

    /// Ends a stream the client stopped reading: usage so far is recorded as cancelled, the upstream call
    /// is cancelled. Nothing when the stream already ended.
    func close() {
        if state == .relaying { end(.cancelled) }
    }

    private func chunk(_ content: String) -> GenerateChunk {
        GenerateChunk(id: origin.id, model: origin.model, provider: origin.provider, content: content)
    }

    /// Relays the stream into `sink` until it ends; throws the stream's error (the call's record ended with it)
    /// or the sink's (the front door closes the stream). Where the provider's bytes and the client's
    /// connection share this task's event loop, batches go from the transfer's callback straight to the sink
    /// (`ChunkSink.writeNow`), and this task wakes only when the client falls behind, at the end, or on an
    /// error: a paced chunk then costs no task wake-up and no executor hops.
    func relay(to sink: some ChunkSink) async throws {
        try await withOneCancellationHandler {
            while state == .relaying {
                if pendingIndex == pending.count, let events, events.pushesOnCurrentLoop, sink.canWriteNow {
                    if try await push(events, to: sink) {
                        try await sink.waitForRoom()
                        continue
                    }
                }
                guard let batch = try await nextBatch() else { return }
                try await sink.write(batch)
            }
        }
    }

    /// Why pushing stopped, when the sink stopped it.
    private enum PushStop {
        /// The client is not keeping up: the task waits for room.
        case clientBehind
        case sinkFailed(any Error)
    }

    /// One stretch of pushed batches; true when it stopped because the client fell behind. Otherwise it
    /// stopped at the end of the stream or with events waiting, for `nextBatch()` to read.
    private func push(_ events: ProviderEventStream, to sink: some ChunkSink) async throws -> Bool {
        pushStop = nil
        waitingSince = .now()
        do {
            try await events.push { [self] batch in relayPushed(batch, to: sink) }
        } catch {
            recorder.context.timing.countProviderTime(from: waitingSince, to: .now())
            end(CallOutcome(error))
            throw error
        }
        recorder.context.timing.countProviderTime(from: waitingSince, to: .now())
        switch pushStop {
        case .clientBehind: return true
        case .sinkFailed(let error): throw error
        case nil: return false
        }
    }

    /// A pushed batch, in the transfer's callback: its chunks go to the sink. False stops the pushing.
    private func relayPushed(_ batch: [ProviderEvent], to sink: some ChunkSink) -> Bool {
        let arrived = MonotonicInstant.now()
        recorder.context.timing.countProviderTime(from: waitingSince, to: arrived)
        defer { waitingSince = .now() }
        pushedPieces.removeAllElements()
        for event in batch {
            if let piece = take(event) { pushedPieces.append(piece) }
        }
        guard !pushedPieces.isEmpty else { return true }
        do {
            if try sink.writeNow(ChunkBatch(origin: origin, pieces: pushedPieces)) {
                return true
            }
            pushStop = .clientBehind
        } catch {
            pushStop = .sinkFailed(error)
        }
        return false
    }

    /// Runs `reads` with one cancellation handler for the whole stream: a cancelled task still cancels the
    /// upstream call, but each wait for a chunk does not register a handler of its own (~2 k instructions).
    private func withOneCancellationHandler<T>(_ reads: () async throws -> T) async rethrows -> T {
        guard let events else { return try await reads() }
        return try await events.withOneCancellationHandler(reads)
    }

    /// The chunks of the events that arrived together (at least one; the last one ends the stream); nil once
    /// the stream ended. Front doors write them in one go.
    @usableFromInline
    func nextBatch() async throws -> ChunkBatch? {
        guard state == .relaying else { return nil }
        var pieces: [ChunkBatch.Piece] = []
        do {
            while pieces.isEmpty {
                if pendingIndex == pending.count {
                    let events = self.events
                    guard let batch = try await recorder.context.timing.measure({ try await events?.next() }) else {
                        break
                    }
                    pending = batch
                    pendingIndex = 0
                }
                while pendingIndex < pending.count {
                    let event = pending[pendingIndex]
                    pendingIndex += 1
                    if let piece = take(event) { pieces.append(piece) }
                }
            }
        } catch {
            end(CallOutcome(error))
            throw error
        }
        if pieces.isEmpty {
            guard state == .relaying else { return nil }  // closed while waiting
            pieces.append(.chunk(lastChunk()))
        }
        return ChunkBatch(origin: origin, pieces: pieces)
    }

    /// The chunk an event makes, if any; counts and finish details are kept for the last chunk.
    private func take(_ event: ProviderEvent) -> ChunkBatch.Piece? {
        switch event {
        case .delta(let text):
            deltas += 1
            return .text(text)
        case .toolCall(let piece):
            deltas += 1
            var call = chunk("")
            call.toolCalls = [piece]
            return .chunk(call)
        case .reasoning(let piece):
            guard includeReasoning else { return nil }
            var reasoning = chunk("")
            reasoning.reasoning = piece
            return .chunk(reasoning)
        case .breakdown(let reasoning, let cacheWrite):
            tokens.reasoning = reasoning ?? tokens.reasoning
            tokens.cacheWrite = cacheWrite ?? tokens.cacheWrite
        case .stopDetails(let details):
            stop = details
        case .usage(let input, let output, let cached):
            tokens.input = input ?? tokens.input
            if let output {
                tokens.output = output
                outputReported = true
            }
            tokens.cachedInput = cached ?? tokens.cachedInput
        case .finish(let reason):
            finishReason = reason
        }
        return nil
    }

    /// The chunk that ends the stream: totals, cost, and how it finished.
    private func lastChunk() -> GenerateChunk {
        let cost = end(.answered)
        var last = chunk("")
        last.done = true
        last.finishReason = finishReason
        last.tokensInput = tokens.input
        last.tokensOutput = tokens.output
        last.breakdown = tokens.breakdown
        last.stop = stop
        last.latencyMs = recorder.context.timing.elapsedMilliseconds
        last.costUSD = cost
        last.metadata = request.metadata
        last.requestedModel = attempt.model.name == requested.name ? nil : requested.name
        return last
    }

    @discardableResult
    private func end(_ outcome: CallOutcome) -> Double {
        state = .ended
        events = nil
        permit = nil
        if !outputReported { tokens.output = deltas }
        return recorder.end(outcome, attempt, tokens)
    }
}

/// A streamed answer, relayed as `GenerateChunk`s. The front door that reads it calls `close()` when it
/// stops reading (it is a no-op once the stream ended by itself), so the call's record ends explicitly.
public struct GenerationStream: AsyncSequence, Sendable {
    public typealias Element = GenerateChunk
    @usableFromInline let relay: StreamRelay

    /// Hands out the relay's batches a chunk at a time.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let relay: StreamRelay
        private var batch: ChunkBatch?
        private var index = 0

        init(relay: StreamRelay) {
            self.relay = relay
        }

        public mutating func next() async throws -> GenerateChunk? {
            if index == batch?.pieces.count ?? 0 {
                guard let next = try await relay.nextBatch() else { return nil }
                (batch, index) = (next, 0)
            }
            guard let batch else { return nil }
            defer { index += 1 }
            return batch.whole(batch.pieces[index])
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(relay: relay)
    }

    /// The chunks that arrived together (at least one); nil once the stream ended. A front door that writes
    /// them in one go pays one write, not one per chunk, for a burst.
    @inlinable
    public func nextBatch() async throws -> ChunkBatch? {
        try await relay.nextBatch()
    }

    /// Relays the whole stream to `sink` (see `ChunkSink`): the front doors' way to stream. Throws the
    /// stream's error or the sink's; the caller still closes the stream.
    public func relay(to sink: some ChunkSink) async throws {
        try await relay.relay(to: sink)
    }

    /// Ends the stream if it has not ended: the client went away or stopped reading.
    public func close() {
        relay.close()
    }
}
