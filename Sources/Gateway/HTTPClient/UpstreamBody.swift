import Reactor
import Synchronization

/// A response body arriving from a curl transfer on an event loop, read by one consumer task.
///
/// Back-pressure: once `pauseThreshold` bytes wait unread, the curl transfer is paused (curl re-delivers
/// the refused bytes later), and resumed when the consumer has read half of them. Cancelling the
/// consumer's task, or dropping the body unread, cancels the transfer and closes its connection.
public final class UpstreamBody: Sendable {
    let channel: BodyChannel

    init(channel: BodyChannel) {
        self.channel = channel
    }

    /// The transfer holds only the channel, so this runs as soon as the consumer lets go.
    deinit {
        channel.abandon()
    }

    /// The next piece of the body; nil at its end. Throws the transfer's error, or CancellationError.
    public func next() async throws -> [UInt8]? {
        try await channel.next()
    }

    /// Tells the transfer that the answer's first content arrived (for streams, whose first-token timeout
    /// runs until then). Once is enough; later calls do nothing.
    public func contentStarted() {
        channel.markContentStarted()
    }

    /// True when the body's bytes arrive on the calling thread's event loop, where `push` can hand them over.
    var arrivesOnCurrentLoop: Bool { channel.loop?.inEventLoop == true }

    /// Hands the body's pieces to `consume` as they arrive, in the transfer's callback on its loop, rather
    /// than waking the reading task for each. Returns once `consume` returns false, once the body ends (for
    /// `next()` to report), or at once when pieces are already waiting to be read; throws the transfer's
    /// error. `consume` must not stop or cancel the transfer (curl is not to be re-entered from its callback).
    /// A pushed piece is a view of curl's own buffer, valid during the call: it is read, never copied.
    func push(_ consume: @escaping @Sendable (Swift.Span<UInt8>) -> Bool) async throws {
        try await channel.push(consume)
    }

    /// Stops the transfer (its connection closes); later reads fail.
    public func cancel() {
        channel.abort(GatewayError(.cancelled, "the response was abandoned"))
    }

    /// Runs `reads` (a loop over `next()`) under one cancellation handler rather than one per read: a task
    /// cancelled meanwhile aborts the transfer, which ends the read waiting. Each streamed chunk is a read,
    /// and a handler registered per read cost ~2 k instructions a chunk.
    public func withOneCancellationHandler<T>(_ reads: () async throws -> T) async rethrows -> T {
        channel.cover(by: 1)
        defer { channel.cover(by: -1) }
        return try await withTaskCancellationHandler(operation: reads) { [channel] in channel.abortCancelled() }
    }

    /// Reads the whole body, failing once it exceeds `limit` bytes.
    public func collect(limit: Int = 64 << 20) async throws -> [UInt8] {
        var all: [UInt8] = []
        while let chunk = try await next() {
            all.append(contentsOf: chunk)
            guard all.count <= limit else {
                let error = GatewayError(.providerError, "the provider's response exceeded \(limit) bytes")
                channel.abort(error)
                throw error
            }
        }
        return all
    }
}

/// What a body channel asks of the transfer that fills it.
protocol TransferControl: Sendable {
    /// Resumes a transfer paused for back-pressure.
    func resume()
    /// Stops the transfer (its connection closes).
    func cancel()
    /// The answer's first content arrived.
    func contentStarted()
}

/// A `TransferControl` of three closures, for tests.
struct ClosureTransferControl: TransferControl {
    let onResume: @Sendable () -> Void
    let onCancel: @Sendable () -> Void
    let onContentStarted: @Sendable () -> Void

    func resume() { onResume() }
    func cancel() { onCancel() }
    func contentStarted() { onContentStarted() }
}

/// The state a body shares between its transfer (producer, on the multi's loop) and its consumer.
final class BodyChannel: Sendable {
    private struct State {
        var chunks: [[UInt8]] = []
        var head = 0
        var buffered = 0
        var finished = false
        var failure: GatewayError?
        /// The waiting consumer. Whoever resumes it first takes it out under the lock, so it is resumed
        /// exactly once; unchecked, as a checked one costs an allocation per wait (one per streamed chunk).
        var waiter: UnsafeContinuation<[UInt8]?, any Error>?
        /// Set with `waiter` while the reader pushes: arriving bytes go here, and the waiter waits on.
        var pusher: (@Sendable (Swift.Span<UInt8>) -> Bool)?
        var paused = false
        var contentStarted = false
    }

    private let state = Locked(State())
    /// Scopes of `UpstreamBody.withOneCancellationHandler` open: reads inside register no handler. Only the
    /// consumer touches it; atomic rather than under the lock, as it is read on every wait.
    private let coveringScopes = Atomic<Int>(0)
    private let pauseThreshold: Int
    /// The loop whose transfer callbacks offer the bytes, when known.
    let loop: EventLoop?
    private let transfer: any TransferControl

    init(pauseThreshold: Int = 1 << 20, loop: EventLoop? = nil, transfer: any TransferControl) {
        self.pauseThreshold = pauseThreshold
        self.loop = loop
        self.transfer = transfer
    }

    convenience init(
        pauseThreshold: Int = 1 << 20, loop: EventLoop? = nil, resume: @escaping @Sendable () -> Void,
        cancel: @escaping @Sendable () -> Void, contentStarted: @escaping @Sendable () -> Void = {}
    ) {
        self.init(
            pauseThreshold: pauseThreshold, loop: loop,
            transfer: ClosureTransferControl(onResume: resume, onCancel: cancel, onContentStarted: contentStarted))
    }

    /// True once the body ended or was aborted.
    var isClosed: Bool { state.withLock { $0.finished } }

    /// Whether the reader is waiting for bytes (tests wait for this instead of sleeping).
    var hasWaiter: Bool { state.withLock { $0.waiter != nil } }

    func markContentStarted() {
        let first = state.withLock { state -> Bool in
            defer { state.contentStarted = true }
            return !state.contentStarted
        }
        if first { transfer.contentStarted() }
    }

    /// The consumer let go: stop the transfer if it is still running.
    func abandon() {
        if !state.withLock({ $0.finished }) { abort(GatewayError(.cancelled, "the response was abandoned")) }
    }

    // MARK: producer (the transfer, on its multi's loop)

    /// Takes bytes from the transfer (a view of its buffer, copied only when they are kept or handed to a
    /// waiting reader); false means "pause me" and the bytes were not taken.
    func offer(_ bytes: Swift.Span<UInt8>) -> Bool {
        let taker = state.withLock { state -> Taker in
            if let waiter = state.waiter {
                if let pusher = state.pusher { return .pusher(pusher) }
                state.waiter = nil
                return .waiter(waiter)
            }
            if state.buffered >= pauseThreshold {
                state.paused = true
                return .refused
            }
            state.chunks.append(Self.copy(bytes))
            state.buffered += bytes.count
            return .buffer
        }
        switch taker {
        case .waiter(let waiter): waiter.resume(returning: Self.copy(bytes))
        case .pusher(let pusher): if !pusher(bytes) { stopPushing() }
        case .buffer: break
        case .refused: return false
        }
        return true
    }

    /// `offer(_:)` of bytes in an array (tests offer theirs so).
    func offer(_ bytes: [UInt8]) -> Bool {
        offer(bytes.span)
    }

    private static func copy(_ bytes: Swift.Span<UInt8>) -> [UInt8] {
        bytes.withUnsafeBufferPointer { Array($0) }
    }

    /// Who takes offered bytes.
    private enum Taker {
        case waiter(UnsafeContinuation<[UInt8]?, any Error>)
        case pusher(@Sendable (Swift.Span<UInt8>) -> Bool)
        case buffer
        /// Full: curl pauses the transfer and offers the bytes again later.
        case refused
    }

    /// The pusher asked to stop: its reader wakes (unless the end woke it meanwhile).
    private func stopPushing() {
        let waiter = state.withLock { state -> UnsafeContinuation<[UInt8]?, any Error>? in
            guard state.pusher != nil else { return nil }
            state.pusher = nil
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// Ends the body, cleanly (nil) or with an error; idempotent.
    func finish(_ failure: GatewayError?) {
        let waiter = state.withLock { state -> UnsafeContinuation<[UInt8]?, any Error>? in
            guard !state.finished else { return nil }
            state.finished = true
            state.failure = failure
            state.pusher = nil
            defer { state.waiter = nil }
            return state.waiter
        }
        if let failure { waiter?.resume(throwing: failure) } else { waiter?.resume(returning: nil) }
    }

    // MARK: consumer

    func next() async throws -> [UInt8]? {
        if let ready = take(orWaitWith: nil) { return try ready.get() }
        // A reader on another thread (a test's task) waits on the transfer's loop, as `HTTPClient.send` does.
        if let loop, !loop.inEventLoop {
            return try await withTaskExecutorPreference(loop) { try await cancellable { try await waitForNext() } }
        }
        return try await cancellable { try await waitForNext() }
    }

    /// Runs `wait` so that cancelling the consumer's task aborts the transfer (which ends the wait): under
    /// the consumer's one handler when a scope is open, else with a handler of its own.
    @inline(__always)
    private func cancellable<T>(_ wait: () async throws -> T) async throws -> T {
        if coveringScopes.load(ordering: .relaxed) > 0 { return try await wait() }
        return try await withTaskCancellationHandler(operation: wait) { abortCancelled() }
    }

    private func waitForNext() async throws -> [UInt8]? {
        try await withUnsafeThrowingContinuation { continuation in
            if let ready = take(orWaitWith: continuation) { continuation.resume(with: ready) }
        }
    }

    func push(_ consume: @escaping @Sendable (Swift.Span<UInt8>) -> Bool) async throws {
        try await cancellable { try await waitWhilePushing(consume) }
    }

    private func waitWhilePushing(_ consume: @escaping @Sendable (Swift.Span<UInt8>) -> Bool) async throws {
        _ = try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<[UInt8]?, any Error>) in
            let waiting = state.withLock { state -> Bool in
                guard state.head == state.chunks.count, !state.finished else { return false }
                state.waiter = continuation
                state.pusher = consume
                return true
            }
            if !waiting { continuation.resume(returning: nil) }
        }
    }

    /// The consumer's task was cancelled.
    func abortCancelled() {
        abort(GatewayError(.cancelled, "the request was cancelled"))
    }

    /// Opens (`by` 1) or closes (-1) a scope whose reads are covered by one cancellation handler.
    func cover(by change: Int) {
        coveringScopes.add(change, ordering: .relaxed)
    }

    /// Stops the transfer (its connection closes) and ends the body with `error`.
    func abort(_ error: GatewayError) {
        transfer.cancel()
        finish(error)
    }

    /// A buffered chunk or the end if there is one; otherwise registers `waiter` (when given) and returns nil.
    private func take(orWaitWith waiter: UnsafeContinuation<[UInt8]?, any Error>?) -> Result<[UInt8]?, any Error>? {
        var resumeTransfer = false
        let result = state.withLock { state -> Result<[UInt8]?, any Error>? in
            if state.head < state.chunks.count {
                let chunk = state.chunks[state.head]
                state.chunks[state.head] = []
                state.head += 1
                state.buffered -= chunk.count
                if state.head == state.chunks.count {
                    state.chunks.removeAllElements()
                    state.head = 0
                }
                if state.paused, state.buffered <= pauseThreshold / 2 {
                    state.paused = false
                    resumeTransfer = true
                }
                return .success(chunk)
            }
            if state.finished { return state.failure.map { .failure($0) } ?? .success(nil) }
            if let waiter { state.waiter = waiter }
            return nil
        }
        if resumeTransfer { transfer.resume() }
        return result
    }

}
