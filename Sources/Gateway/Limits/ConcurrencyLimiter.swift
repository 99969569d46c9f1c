import Reactor

/// At most `limit` calls in flight to one provider; up to `queueLimit` more wait their turn, the rest are
/// refused at once (a queue without bound only turns overload into timeouts).
public final class ConcurrencyLimiter: Sendable {
    /// Held while a call runs; releasing happens when the permit goes away.
    public final class Permit: Sendable {
        private let limiter: ConcurrencyLimiter
        init(_ limiter: ConcurrencyLimiter) { self.limiter = limiter }
        deinit { limiter.release() }
    }

    private struct State {
        var running = 0
        var waiting: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextID = 0
    }

    private let state = Locked(State())
    let limit: Int
    let queueLimit: Int

    public init(limit: Int, queueLimit: Int? = nil) {
        self.limit = limit
        self.queueLimit = queueLimit ?? limit * 4
    }

    public func acquire(provider: String) async throws -> Permit {
        enum Decision { case run, wait(Int), refuse }
        let decision = state.withLock { state -> Decision in
            if state.running < limit {
                state.running += 1
                return .run
            }
            guard state.waiting.count < queueLimit else { return .refuse }
            state.nextID += 1
            return .wait(state.nextID)
        }
        switch decision {
        case .run:
            return Permit(self)
        case .refuse:
            throw GatewayError(
                .rateLimited, "provider \(provider) is at its concurrency limit of \(limit)", retryAfterSeconds: 1)
        case .wait(let id):
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    let cancelled = state.withLock { state -> Bool in
                        if Task.isCancelled { return true }
                        state.waiting.append((id, continuation))
                        return false
                    }
                    if cancelled { continuation.resume(throwing: CancellationError()) }
                }
            } onCancel: {
                let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                    guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                    return state.waiting.remove(at: index).continuation
                }
                waiter?.resume(throwing: CancellationError())
            }
            return Permit(self)  // the slot was handed over by `release`
        }
    }

    fileprivate func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if state.waiting.isEmpty {
                state.running -= 1
                return nil
            }
            return state.waiting.removeFirst().continuation  // the slot passes on: `running` stays
        }
        next?.resume()
    }
}
