import Reactor

/// Writers suspended until the peer reads (flow control); loop-confined.
///
/// A waiter resumes when the buffer drains, fails when the stream closes, and fails with
/// `CancellationError` when its task is cancelled — whichever comes first, exactly once.
final class OutboundWaiters {
    private var waiting: [Int: CheckedContinuation<Void, any Error>] = [:]
    private var nextID = 0
    private unowned let loop: EventLoop

    init(loop: EventLoop) {
        self.loop = loop
    }

    var isEmpty: Bool { waiting.isEmpty }

    /// Suspends the caller until `resumeAll` or `failAll`. Must be called on the loop.
    func wait() async throws {
        nextID += 1
        let id = nextID
        nonisolated(unsafe) let unsafeSelf = self
        let loop = self.loop
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiting[id] = continuation
                }
            }
        } onCancel: {
            loop.execute { unsafeSelf.waiting.removeValue(forKey: id)?.resume(throwing: CancellationError()) }
        }
    }

    func resumeAll() {
        let all = waiting
        waiting.removeAll()
        for continuation in all.values { continuation.resume() }
    }

    func failAll(_ error: any Error) {
        let all = waiting
        waiting.removeAll()
        for continuation in all.values { continuation.resume(throwing: error) }
    }
}
