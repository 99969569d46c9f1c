import Reactor

/// One HTTP/2 request/response exchange on a connection: the request as it arrives, then its handler.
final class HTTP2Stream {
    let id: Int32
    var method = ""
    var path = ""
    var headers = HTTPFields()
    var headerBytes = 0
    var body: [UInt8] = []
    var bodyTooLarge = false
    var headersComplete = false
    var requestComplete = false
    let startedAt = MonotonicInstant.now()
    /// When the head was complete: the body-read timeout runs from here.
    var headersCompletedAt: MonotonicInstant?
    /// Body bytes counted against the connection's and the process's budgets until the stream closes.
    var heldBytes = 0
    /// Body bytes whose flow-control window is not reopened yet (the budgets were full when they came).
    var unconsumedBytes = 0
    /// Set when the request is dispatched before its body is complete.
    var bodyStream: RequestBodyStream?
    var writer: HTTP2ResponseWriter?
    var context: RequestContext?
    /// Writers waiting for the peer to read; made by the first that waits (most streams never do).
    var waiters: OutboundWaiters {
        if let made = waitersIfMade { return made }
        let made = OutboundWaiters(loop: loop)
        waitersIfMade = made
        return made
    }
    private(set) var waitersIfMade: OutboundWaiters?
    private unowned let loop: EventLoop

    init(id: Int32, loop: EventLoop) {
        self.id = id
        self.loop = loop
    }

    var isDispatched: Bool { writer != nil }

    /// Builds the transport-neutral request from what arrived.
    func makeRequest() -> ServerRequest {
        let (path, query) = ServerRequest.splitTarget(self.path)
        return ServerRequest(
            method: method, path: path, query: query, headers: headers, body: bodyTooLarge ? [] : body,
            version: .http2, bodyTooLarge: bodyTooLarge, bodyStream: bodyStream)
    }
}
