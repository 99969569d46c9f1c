import Reactor

/// A request body read as it arrives, for handlers that answer before the client finishes sending
/// (bidirectional gRPC streams). Loop-confined: fed by the connection, read by the handler's task, both
/// on the request's event loop.
public final class RequestBodyStream: @unchecked Sendable {
    private var chunks: [[UInt8]] = []
    private var buffered = 0
    private var ended = false
    private var failure: (any Error)?
    private var waiter: CheckedContinuation<[UInt8]?, any Error>?
    private let loop: EventLoop
    let limit: Int

    init(loop: EventLoop, limit: Int) {
        self.loop = loop
        self.limit = limit
    }

    /// Returns false when the unread bytes would exceed the limit (the connection then resets the stream).
    func append(_ bytes: [UInt8]) -> Bool {
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: bytes)
            return true
        }
        guard buffered + bytes.count <= limit else { return false }
        chunks.append(bytes)
        buffered += bytes.count
        return true
    }

    func finish(_ error: (any Error)? = nil) {
        guard !ended else { return }
        ended = true
        failure = error
        if let waiter {
            self.waiter = nil
            if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
        }
    }

    /// The next piece of the body; nil once the client finished sending.
    public func next() async throws -> [UInt8]? {
        assert(loop.inEventLoop, "a request body is read on its request's event loop")
        if !chunks.isEmpty {
            let chunk = chunks.removeFirst()
            buffered -= chunk.count
            return chunk
        }
        if ended {
            if let failure { throw failure }
            return nil
        }
        return try await withCheckedThrowingContinuation { waiter = $0 }
    }
}
