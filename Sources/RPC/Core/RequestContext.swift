import Reactor

/// Per-request facts the transport knows and handlers may need: the loop it runs on, and a way to
/// cancel it (used by deadlines) that is the same path as a client reset or a closed connection.
/// Loop-confined: its methods assert they run on `eventLoop` (debug builds).
public final class RequestContext: @unchecked Sendable {
    public let eventLoop: EventLoop
    /// The worker task serving the request (`RequestWorkers`): set when the request is handed to it, and
    /// cleared when the handler returns, since the worker goes on to other requests. Loop-confined.
    var task: Task<Void, Never>?
    private var cancelled = false

    package init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Cancels the request's task. Must be called on the request's loop.
    func cancel() {
        eventLoop.assertOnLoop()
        cancelled = true
        task?.cancel()
    }

    /// Schedules `action` on the request's loop at `deadline`; cancel the returned timer when done.
    func schedule(at deadline: MonotonicInstant, _ action: @escaping () -> Void) -> ScheduledTimer {
        eventLoop.assertOnLoop()
        return eventLoop.schedule(at: deadline, action)
    }
}
