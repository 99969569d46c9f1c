import Reactor
import Synchronization

/// What every connection of a server shares: the limits, the responder that answers requests, the
/// renderer of errors the server answers itself, and the process-wide budget of buffered request bytes.
final class ServerServices: Sendable {
    let limits: ServerLimits
    let responder: any HTTPResponder
    let errorRenderer: ProtocolErrorRenderer
    /// Request body bytes held by every connection together (see `ServerLimits.maxBufferedRequestBytes`).
    let bufferedRequestBytes = Atomic<Int>(0)

    init(limits: ServerLimits, responder: any HTTPResponder, errorRenderer: ProtocolErrorRenderer) {
        self.limits = limits
        self.responder = responder
        self.errorRenderer = errorRenderer
    }

    /// Counts `delta` request body bytes in (positive) or out (negative); returns whether the process is
    /// still within its budget.
    @discardableResult
    func holdRequestBytes(_ delta: Int) -> Bool {
        bufferedRequestBytes.add(delta, ordering: .relaxed).newValue <= limits.maxBufferedRequestBytes
    }

    var requestBytesWithinBudget: Bool {
        bufferedRequestBytes.load(ordering: .relaxed) <= limits.maxBufferedRequestBytes
    }
}
