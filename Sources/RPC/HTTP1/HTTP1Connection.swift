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
    /// Body bytes of the requests in `pending`.
    private var pendingBodyBytes = 0
    /// Body bytes of the request being answered (held by its handler until it finishes).
    private var activeBodyBytes = 0
    /// What this connection has counted against the process-wide budget of request bytes.
    private var countedBytes = 0
    /// When the body of the request being read began (its head was complete); nil between requests.
    private var bodyStartedAt: MonotonicInstant?
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
        connection.loop.assertOnLoop()
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
        recountHeldBytes()
        if !acceptsInput { connection.pauseReading() }
        return true
    }

    /// Whether to read more: not while the pipelined requests or the bytes this connection holds are at
    /// their limits, so a request stuck behind a slow one cannot pile up 32 × 4 MiB behind it.
    var acceptsInput: Bool {
        let limits = connection.services.limits
        return pending.count < limits.maxPipelinedRequests && pendingBodyBytes < limits.maxRequestBodyBytes
            && countedBytes <= limits.maxBufferedRequestBytesPerConnection
            && connection.services.requestBytesWithinBudget
    }

    /// Brings the process-wide count up to date with what this connection holds now.
    private func recountHeldBytes() {
        let held = pendingBodyBytes + activeBodyBytes + parser.partialBodyBytes
        guard held != countedBytes else { return }
        connection.services.holdRequestBytes(held - countedBytes)
        countedBytes = held
    }

    func parserBeganMessage() {
        requestHeadStartedAt = .now()
    }

    func parserParsedHead(_ head: HTTP1RequestHead) {
        self.head = head
        requestHeadStartedAt = nil
        bodyStartedAt = .now()
        expectContinue = head.headers["expect"]?.lowercased() == "100-continue"
    }

    func parserCompletedMessage(body: [UInt8]) {
        guard let head else { return }
        self.head = nil
        bodyStartedAt = nil
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
        bodyStartedAt = nil
        if error.status == 413, let head {
            // The handler answers oversize bodies, so the error has the API's shape and request id.
            enqueue(request(from: head, body: [], tooLarge: true), keepAlive: false)
        } else {
            enqueueProtocolError(status: error.status, message: error.reason)
        }
        head = nil
        closeWhenIdle = true
    }

    func expireStalled(now: MonotonicInstant) {
        connection.loop.assertOnLoop()
        // While this side is not reading (its own limits), the client cannot be slow: its clock restarts.
        if bodyStartedAt != nil, !acceptsInput { bodyStartedAt = now }
        guard !closeWhenIdle, let since = bodyStartedAt,
            since.nanoseconds(until: now) > UInt64(connection.services.limits.bodyReadTimeoutSeconds * 1e9)
        else { return }
        bodyStartedAt = nil
        head = nil
        enqueueProtocolError(status: 408, message: "request body not received in time")
        closeWhenIdle = true
    }

    func requestHeadTimedOut() {
        connection.loop.assertOnLoop()
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

    /// Takes the request over (`consuming`: a borrowed one was copied, every header retained). Nearly always
    /// nothing is ahead of it, and it starts at once rather than through the queue (two more copies).
    private func enqueue(_ request: consuming ServerRequest, keepAlive: Bool) {
        if !keepAlive { closeWhenIdle = true }
        if active == nil, pending.isEmpty, !connection.isClosed { return start(request, keepAlive: keepAlive) }
        pendingBodyBytes += request.body.count
        pending.append(.request(request, keepAlive: keepAlive))
    }

    private func startNextIfIdle() {
        guard active == nil, !pending.isEmpty, !connection.isClosed else { return }
        switch pending.removeFirst() {
        case .protocolError(let head, let body):
            connection.write(HTTP1Serializer.head(head, bodyLength: body.count, close: true))
            connection.write(body)
        case .request(let request, let keepAlive):
            pendingBodyBytes -= request.body.count
            start(request, keepAlive: keepAlive)
        }
    }

    private func start(_ request: consuming ServerRequest, keepAlive: Bool) {
        activeBodyBytes = request.body.count
        let writer = HTTP1ResponseWriter(
            owner: self, keepAlive: keepAlive && !(closeWhenIdle && pending.isEmpty), isHead: request.method == "HEAD")
        active = writer
        activeContext = connection.workers.dispatch(request, writer: writer)
        if acceptsInput { connection.resumeReading() }
    }

    // MARK: output, called by the active writer on the loop

    func write(_ bytes: [UInt8], from writer: HTTP1ResponseWriter) throws -> Bool {
        try write(from: writer) { $0.append(contentsOf: bytes) }
    }

    /// Lets the active writer append to the outbound buffer; true when the client is not reading.
    func write(from writer: HTTP1ResponseWriter, _ append: (inout [UInt8]) -> Void) throws -> Bool {
        connection.loop.assertOnLoop()
        guard writer === active, !connection.isClosed else { throw ResponseWriteError.streamClosed }
        connection.write(append)
        connection.markActivity()
        return connection.isOverHighWatermark
    }

    func finished(_ writer: HTTP1ResponseWriter) {
        connection.loop.assertOnLoop()
        guard writer === active else { return }
        active = nil
        activeContext = nil
        activeBodyBytes = 0
        if !writer.keepAlive { closeWhenIdle = true }
        connection.scheduleFlush()
        startNextIfIdle()
        recountHeldBytes()
    }

    func produceOutput() {}
    var hasPendingOutput: Bool { false }

    func outboundDrained() { waiters.resumeAll() }

    func beginGracefulShutdown() {
        connection.loop.assertOnLoop()
        closeWhenIdle = true
        active?.keepAlive = false
    }

    func connectionClosed() {
        connection.loop.assertOnLoop()
        waiters.failAll(ResponseWriteError.streamClosed)
        activeContext?.cancel()
        active = nil
        activeContext = nil
        pending.removeAll()
        connection.services.holdRequestBytes(-countedBytes)
        countedBytes = 0
    }
}
