import Reactor

/// A request body read as it arrives, for handlers that answer before the client finishes sending
/// (bidirectional gRPC streams). Loop-confined: fed by the connection, read by the handler's task, both
/// on the request's event loop.
///
/// Unread bytes sit in one buffer (many small DATA frames cost no allocation each, and a read takes them
/// all in one step); `consumed` tells the connection how many the handler took, so it can reopen the
/// client's flow-control window by that much and no more.
public final class RequestBodyStream: @unchecked Sendable {
    private var unread: [UInt8] = []
    private var ended = false
    private var failure: (any Error)?
    private var waiter: CheckedContinuation<[UInt8]?, any Error>?
    private let loop: EventLoop
    let limit: Int
    /// Called on the loop with the number of bytes the handler took.
    var consumed: ((Int) -> Void)?

    init(loop: EventLoop, limit: Int) {
        self.loop = loop
        self.limit = limit
    }

    /// Takes `length` bytes through `copy`; returns false when the unread bytes would exceed the limit
    /// (the connection then resets the stream).
    func append(length: Int, copy: (inout [UInt8]) -> Void) -> Bool {
        guard unread.count + length <= limit else { return false }
        copy(&unread)
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: takeUnread())
        }
        return true
    }

    private func takeUnread() -> [UInt8] {
        let taken = unread
        unread = []
        consumed?(taken.count)
        return taken
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

    /// Everything that arrived since the last call; nil once the client finished sending.
    public func next() async throws -> [UInt8]? {
        assert(loop.inEventLoop, "a request body is read on its request's event loop")
        if !unread.isEmpty { return takeUnread() }
        if ended {
            if let failure { throw failure }
            return nil
        }
        return try await withCheckedThrowingContinuation { waiter = $0 }
    }
}
