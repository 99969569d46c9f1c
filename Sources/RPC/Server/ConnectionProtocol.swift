import Reactor

/// One application protocol spoken on a connection (HTTP/1.1 or HTTP/2), fed by `Connection`.
protocol ConnectionProtocol: AnyObject {
    /// Consumes bytes read from the socket; returns false when the connection must close.
    func receive(_ bytes: ArraySlice<UInt8>) -> Bool
    /// Moves protocol output that is ready into the connection's outbound buffer.
    func produceOutput()
    /// True when output is ready beyond what `produceOutput` took in its bounded round.
    var hasPendingOutput: Bool { get }
    /// True once the protocol will never write again, so the connection closes when flushed.
    var isFinished: Bool { get }
    /// False while the protocol holds as much input as it may (reading then pauses until this turns true).
    var acceptsInput: Bool { get }
    /// True while some request is being read or answered.
    var hasActiveRequests: Bool { get }
    /// When the request head now arriving began; nil when none is half-read (for the header-read timeout).
    var requestHeadStartedAt: MonotonicInstant? { get }
    /// The outbound buffer fell below the high watermark: writers waiting on the peer may go on.
    func outboundDrained()
    /// Stop taking new requests and let the in-flight ones finish.
    func beginGracefulShutdown()
    /// The periodic sweep: end requests whose body or whose response stalled past its timeout.
    func expireStalled(now: MonotonicInstant)
    /// A timeout fired while a request head was arriving; answer if the protocol can, then finish.
    func requestHeadTimedOut()
    /// The socket is gone: cancel every in-flight request.
    func connectionClosed()
}
