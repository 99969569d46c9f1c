import Reactor

/// HTTP/1.1 on one connection: keep-alive, pipelined requests answered strictly in order, `Expect:
/// 100-continue`, and errors for malformed requests followed by a close (the byte stream is then untrusted).
final class HTTP1Connection: ConnectionProtocol, HTTP1ParserDelegate {
    /// Strong: a response writer may outlive the socket (its task still finishing); `Connection.close()`
    /// drops its protocol, which breaks this cycle.
    private let connection: Connection
    private var parser: HTTP1Parser!
    private var head: HTTP1RequestHead?
    /// What is still to be answered, in arrival order.
    private enum Queued {
        case request(ServerRequest, keepAlive: Bool)
        case protocolError(ResponseHead, [UInt8])
    }

    private var pending: [Queued] = []
    private var active: HTTP1ResponseWriter?
    private var activeContext: RequestContext?
    private var closeWhenIdle = false
    private var expectContinue = false
    private(set) var requestHeadStartedAt: MonotonicInstant?
    let waiters: OutboundWaiters

    init(connection: Connection) {
        self.connection = connection
        waiters = OutboundWaiters(loop: connection.loop)
        let limits = connection.services.limits
        parser = HTTP1Parser(
            delegate: self, maxHeadBytes: limits.maxHeaderListBytes, maxBodyBytes: limits.maxRequestBodyBytes)
    }

    var loop: EventLoop { connection.loop }
    var isFinished: Bool { closeWhenIdle && active == nil && pending.isEmpty }
    var hasActiveRequests: Bool { active != nil || !pending.isEmpty }

    // MARK: input

    func receive(_ bytes: ArraySlice<UInt8>) -> Bool {
        if closeWhenIdle { return true }  // after an error or `Connection: close`, ignore what follows
        switch parser.feed(bytes) {
        case .success:
            if expectContinue, !closeWhenIdle {
                expectContinue = false
                connection.write("HTTP/1.1 100 Continue\r\n\r\n".utf8)
            }
        case .failure(let error):
            reject(error)
        }
        if pending.count >= connection.services.limits.maxPipelinedRequests { connection.pauseReading() }
        return true
    }

    func parserBeganMessage() {
        requestHeadStartedAt = .now()
    }

    func parserParsedHead(_ head: HTTP1RequestHead) {
        self.head = head
        requestHeadStartedAt = nil
        expectContinue = head.headers["expect"]?.lowercased() == "100-continue"
    }

    func parserCompletedMessage(body: [UInt8]) {
        guard let head else { return }
        self.head = nil
        expectContinue = false
        enqueue(request(from: head, body: body, tooLarge: false), keepAlive: head.keepAlive)
    }

    private func request(from head: HTTP1RequestHead, body: [UInt8], tooLarge: Bool) -> ServerRequest {
        let (path, query) = ServerRequest.splitTarget(head.target)
        return ServerRequest(
            method: head.method, path: path, query: query, headers: head.headers, body: body,
            version: .http1_1, bodyTooLarge: tooLarge)
    }

    private func reject(_ error: HTTP1ParseError) {
        requestHeadStartedAt = nil
        if error.status == 413, let head {
            // The handler answers oversize bodies, so the error has the API's shape and request id.
            enqueue(request(from: head, body: [], tooLarge: true), keepAlive: false)
        } else {
            enqueueProtocolError(status: error.status, message: error.reason)
        }
        head = nil
        closeWhenIdle = true
    }

    func requestHeadTimedOut() {
        guard !closeWhenIdle else { return }
        requestHeadStartedAt = nil
        enqueueProtocolError(status: 408, message: "request head not received in time")
        closeWhenIdle = true
    }

    private func enqueueProtocolError(status: Int, message: String) {
        let rendered = connection.services.errorRenderer.render(status, message)
        pending.append(.protocolError(rendered.head, rendered.body))
        startNextIfIdle()
    }

    // MARK: dispatch

    private func enqueue(_ request: ServerRequest, keepAlive: Bool) {
        pending.append(.request(request, keepAlive: keepAlive))
        if !keepAlive { closeWhenIdle = true }
        startNextIfIdle()
    }

    private func startNextIfIdle() {
        guard active == nil, !pending.isEmpty, !connection.isClosed else { return }
        switch pending.removeFirst() {
        case .protocolError(let head, let body):
            connection.write(HTTP1Serializer.head(head, bodyLength: body.count, close: true))
            connection.write(body)
        case .request(let request, let keepAlive):
            let writer = HTTP1ResponseWriter(
                owner: self, keepAlive: keepAlive && !(closeWhenIdle && pending.isEmpty),
                isHead: request.method == "HEAD")
            active = writer
            activeContext = connection.services.dispatch(request, writer: writer, loop: connection.loop)
            connection.resumeReading()
        }
    }

    // MARK: output, called by the active writer on the loop

    func write(_ bytes: [UInt8], from writer: HTTP1ResponseWriter) throws -> Bool {
        guard writer === active, !connection.isClosed else { throw ResponseWriteError.streamClosed }
        connection.write(bytes)
        connection.markActivity()
        return connection.isOverHighWatermark
    }

    func finished(_ writer: HTTP1ResponseWriter) {
        guard writer === active else { return }
        active = nil
        activeContext = nil
        if !writer.keepAlive { closeWhenIdle = true }
        connection.scheduleFlush()
        startNextIfIdle()
    }

    func produceOutput() {}
    var hasPendingOutput: Bool { false }

    func outboundDrained() { waiters.resumeAll() }

    func beginGracefulShutdown() {
        closeWhenIdle = true
        active?.keepAlive = false
    }

    func connectionClosed() {
        waiters.failAll(ResponseWriteError.streamClosed)
        activeContext?.cancel()
        active = nil
        activeContext = nil
        pending.removeAll()
    }
}
