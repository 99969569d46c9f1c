import Reactor

/// HTTP/2 on one connection: turns nghttp2's per-stream events into requests, starts a handler task per
/// request, and cancels it when the client resets the stream or the connection closes.
final class HTTP2Connection: ConnectionProtocol, HTTP2SessionDelegate {
    /// Strong: response writers may outlive the socket (their tasks still finishing); `Connection.close()`
    /// drops its protocol, which breaks this cycle.
    private let connection: Connection
    private var session: HTTP2Session!
    private var streams: [Int32: HTTP2Stream] = [:]
    /// The stream whose header block is being read (see `headerBlock`).
    private var headerBlockStream: HTTP2Stream?
    private var failed = false
    /// Request body bytes this connection's streams hold (see `ServerLimits.maxBufferedRequestBytesPerConnection`).
    private var heldBytes = 0
    /// Streams owed a window update, oldest first: their bytes came while a budget was full.
    private var windowOwed: [Int32] = []

    init?(connection: Connection) {
        self.connection = connection
        guard let session = HTTP2Session(delegate: self, limits: connection.services.limits, loop: connection.loop)
        else { return nil }
        self.session = session
    }

    var loop: EventLoop { connection.loop }
    private var limits: ServerLimits { connection.services.limits }

    /// Done when the peer broke the protocol, nghttp2 failed fatally, or the session has nothing left to do.
    var isFinished: Bool { failed || session.fatalError != nil || !session.isAlive }
    var hasActiveRequests: Bool { !streams.isEmpty }
    /// HTTP/2 input is paced by flow-control windows, not by pausing the socket.
    var acceptsInput: Bool { true }
    var requestHeadStartedAt: MonotonicInstant? {
        streams.values.lazy.filter { !$0.headersComplete }.map(\.startedAt).min()
    }

    func receive(_ bytes: ArraySlice<UInt8>) -> Bool {
        connection.loop.assertOnLoop()
        if !session.receive(bytes) { failed = true }
        connection.scheduleFlush()
        return true  // even on failure: flush the GOAWAY first, then `isFinished` closes
    }

    func produceOutput() {
        connection.loop.assertOnLoop()
        guard !connection.isOverHighWatermark else { return }
        connection.withOutbound { session.drainOutput(into: &$0, limit: limits.outboundHighWatermark) }
    }

    var hasPendingOutput: Bool { session.wantsWrite }

    func outboundDrained() {
        connection.scheduleFlush()
    }

    func beginGracefulShutdown() {
        connection.loop.assertOnLoop()
        session.goAway()
        connection.scheduleFlush()
    }

    func requestHeadTimedOut() {
        for stream in streams.values where !stream.headersComplete {
            session.reset(stream.id, errorCode: HTTP2Session.cancelError)
        }
    }

    func connectionClosed() {
        connection.loop.assertOnLoop()
        if let reason = session.fatalError { ServerLog.error("HTTP/2 session failed", reason) }
        let all = streams.values
        streams.removeAll()
        headerBlockStream = nil
        windowOwed.removeAll()
        for stream in all { close(stream) }
    }

    // MARK: session events

    func streamBegan(_ id: Int32) {
        let stream = HTTP2Stream(id: id, loop: loop)
        streams[id] = stream
        headerBlockStream = stream
    }

    /// The stream whose request header block is being read, or one found by id. A header block's frames come
    /// back to back, with no other stream's between them (RFC 9113 §4.3), so its fields need no lookup each.
    private func headerBlock(_ id: Int32) -> HTTP2Stream? {
        if let stream = headerBlockStream, stream.id == id { return stream }
        return streams[id]
    }

    func streamHeader(_ id: Int32, name: Span<UInt8>, value: Span<UInt8>) -> Bool {
        guard let stream = headerBlock(id) else { return false }
        stream.headerBytes += name.count + value.count + 32
        guard stream.headerBytes <= limits.maxHeaderListBytes else { return false }
        // nghttp2 lets no upper-case name through (RFC 9113 §8.2.1 makes such a request malformed), and
        // checks a pseudo-header's name, which is read from its bytes: its value is wanted as a string only
        // for the method and path.
        guard name.count > 0, name[0] == UInt8(ascii: ":") else {
            stream.headers.append(
                lowercased: KnownFieldNames.literal(for: name) ?? Self.string(name), Self.string(value))
            return true
        }
        switch name.count {
        case 7 where KnownFieldNames.spells(name, ":method"): stream.method = Self.string(value)
        case 5 where KnownFieldNames.spells(name, ":path"): stream.path = Self.string(value)
        case 10 where KnownFieldNames.spells(name, ":authority"): stream.headers.append("host", Self.string(value))
        case 7 where KnownFieldNames.spells(name, ":scheme"): break
        default: stream.headers.append(lowercased: Self.string(name), Self.string(value))
        }
        return true
    }

    private static func string(_ bytes: Span<UInt8>) -> String {
        bytes.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
    }

    func streamHeadersComplete(_ id: Int32) {
        guard let stream = headerBlock(id) else { return }
        headerBlockStream = nil
        stream.headersComplete = true
        stream.headersCompletedAt = .now()
        if connection.services.responder.streamsRequestBody(path: stream.path, headers: stream.headers) {
            let bodyStream = RequestBodyStream(loop: loop, limit: limits.maxRequestBodyBytes)
            // The handler paces this body: its window reopens as the handler reads.
            bodyStream.consumed = { [unowned session = session!] count in session.consume(id, count) }
            stream.bodyStream = bodyStream
            dispatch(stream)
        }
    }

    func streamData(_ id: Int32, length: Int, copy: (inout [UInt8]) -> Void) {
        guard let stream = streams[id], !stream.bodyTooLarge else {
            return session.consume(id, length)  // discarded: nothing held, so the window reopens at once
        }
        if let bodyStream = stream.bodyStream {
            // A reader that falls this far behind is not reading: reset rather than buffer.
            if !bodyStream.append(length: length, copy: copy) {
                session.reset(id, errorCode: HTTP2Session.internalError)
                session.consume(id, length)
            }
            return
        }
        if stream.body.count + length > limits.maxRequestBodyBytes {
            // Answer now rather than read the rest; the stream is reset once the answer is out.
            stream.bodyTooLarge = true
            release(stream)
            stream.body = []
            session.consume(id, length)
            dispatch(stream)
        } else {
            copy(&stream.body)
            hold(stream, length)
        }
    }

    // MARK: request body budgets

    /// Counts a body's bytes against the budgets; their window reopens now if both budgets have room (and
    /// no older stream waits for room), else when streams close and free some.
    private func hold(_ stream: HTTP2Stream, _ count: Int) {
        stream.heldBytes += count
        heldBytes += count
        let processHasRoom = connection.services.holdRequestBytes(count)
        if windowOwed.isEmpty, processHasRoom, heldBytes <= limits.maxBufferedRequestBytesPerConnection {
            session.consume(stream.id, count)
        } else {
            if stream.unconsumedBytes == 0 { windowOwed.append(stream.id) }
            stream.unconsumedBytes += count
        }
    }

    /// Gives a stream's bytes back to the budgets (its body was dropped, or the stream is gone).
    private func release(_ stream: HTTP2Stream) {
        guard stream.heldBytes > 0 else { return }
        heldBytes -= stream.heldBytes
        connection.services.holdRequestBytes(-stream.heldBytes)
        stream.heldBytes = 0
        if stream.unconsumedBytes > 0 {
            // Reopens the connection's window; the stream itself is done with its body.
            session.consume(stream.id, stream.unconsumedBytes)
            stream.unconsumedBytes = 0
        }
        reopenOwedWindows()
    }

    /// Reopens the windows of streams that waited for room, oldest first, while the budgets allow.
    private func reopenOwedWindows() {
        var reopened = 0
        while reopened < windowOwed.count, heldBytes <= limits.maxBufferedRequestBytesPerConnection,
            connection.services.requestBytesWithinBudget
        {
            if let stream = streams[windowOwed[reopened]], stream.unconsumedBytes > 0 {
                session.consume(stream.id, stream.unconsumedBytes)
                stream.unconsumedBytes = 0
            }
            reopened += 1
        }
        guard reopened > 0 else { return }
        windowOwed.removeFirst(reopened)
        connection.scheduleFlush()
    }

    /// Called by the connection's periodic sweep: bodies that take too long, responses the peer stopped
    /// taking, and windows owed since the process-wide budget (freed on any loop) was full.
    func expireStalled(now: MonotonicInstant) {
        connection.loop.assertOnLoop()
        var expired: [Int32] = []
        let bodyLimit = UInt64(limits.bodyReadTimeoutSeconds * 1e9)
        for stream in streams.values where stream.bodyStream == nil && !stream.requestComplete {
            if let since = stream.headersCompletedAt, since.nanoseconds(until: now) > bodyLimit {
                expired.append(stream.id)
            }
        }
        let writeLimit = UInt64(limits.writeTimeoutSeconds * 1e9)
        if now.nanoseconds > writeLimit {
            expired += session.streamsStalled(since: MonotonicInstant(nanoseconds: now.nanoseconds - writeLimit))
        }
        for id in expired { session.reset(id, errorCode: HTTP2Session.cancelError) }
        if !expired.isEmpty { connection.scheduleFlush() }
        if !windowOwed.isEmpty { reopenOwedWindows() }
    }

    func streamEnded(_ id: Int32) {
        guard let stream = streams[id] else { return }
        stream.requestComplete = true
        stream.bodyStream?.finish()
        if !stream.isDispatched { dispatch(stream) }
    }

    func streamResponseSent(_ id: Int32) {
        // RFC 9113 §8.1: a complete response to an incomplete request may be followed by RST_STREAM(NO_ERROR).
        if let stream = streams[id], !stream.requestComplete {
            session.reset(id, errorCode: HTTP2Session.noError)
        }
    }

    func streamClosed(_ id: Int32, errorCode: UInt32) {
        if headerBlockStream?.id == id { headerBlockStream = nil }
        guard let stream = streams.removeValue(forKey: id) else { return }
        close(stream)
    }

    func streamOutboxDrained(_ id: Int32) {
        streams[id]?.waitersIfMade?.resumeAll()
    }

    private func dispatch(_ stream: HTTP2Stream) {
        let writer = HTTP2ResponseWriter(owner: self, streamID: stream.id, isHead: stream.method == "HEAD")
        stream.writer = writer
        stream.context = connection.workers.dispatch(stream.makeRequest(), writer: writer)
        connection.markActivity()
    }

    private func close(_ stream: HTTP2Stream) {
        release(stream)
        stream.bodyStream?.finish(ResponseWriteError.streamClosed)
        stream.writer?.closed = true
        stream.waitersIfMade?.failAll(ResponseWriteError.streamClosed)
        stream.context?.cancel()
        stream.writer = nil
        stream.context = nil
    }

    // MARK: output, called by writers on the loop

    func respond(_ id: Int32, head: ResponseHead, trailers: HTTPFields, endStream: Bool) throws {
        connection.loop.assertOnLoop()
        guard streams[id] != nil, session.respond(id, head: head, extraFields: trailers, endStream: endStream) else {
            throw ResponseWriteError.streamClosed
        }
        connection.scheduleFlush()
    }

    /// Queues body bytes; returns true when the writer should wait for the peer to read.
    func send(_ id: Int32, _ bytes: [UInt8]) throws -> Bool {
        connection.loop.assertOnLoop()
        guard streams[id] != nil else { throw ResponseWriteError.streamClosed }
        let buffered = session.enqueue(id, bytes)
        connection.scheduleFlush()
        connection.markActivity()
        return buffered >= limits.outboundHighWatermark
    }

    func finish(_ id: Int32, trailers: HTTPFields?) {
        connection.loop.assertOnLoop()
        session.finish(id, trailers: trailers)
        connection.scheduleFlush()
    }

    func waitForDrain(_ id: Int32) async throws {
        guard let stream = streams[id] else { throw ResponseWriteError.streamClosed }
        try await stream.waiters.wait()
    }
}
