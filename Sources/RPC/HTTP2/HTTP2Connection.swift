import Reactor

/// HTTP/2 on one connection: turns nghttp2's per-stream events into requests, starts a handler task per
/// request, and cancels it when the client resets the stream or the connection closes.
final class HTTP2Connection: ConnectionProtocol, HTTP2SessionDelegate {
    /// Strong: response writers may outlive the socket (their tasks still finishing); `Connection.close()`
    /// drops its protocol, which breaks this cycle.
    private let connection: Connection
    private var session: HTTP2Session!
    private var streams: [Int32: HTTP2Stream] = [:]
    private var failed = false

    init?(connection: Connection) {
        self.connection = connection
        guard let session = HTTP2Session(delegate: self, limits: connection.services.limits) else { return nil }
        self.session = session
    }

    var loop: EventLoop { connection.loop }
    private var limits: ServerLimits { connection.services.limits }

    var isFinished: Bool { failed || !session.isAlive }
    var hasActiveRequests: Bool { !streams.isEmpty }
    var requestHeadStartedAt: MonotonicInstant? {
        streams.values.lazy.filter { !$0.headersComplete }.map(\.startedAt).min()
    }

    func receive(_ bytes: ArraySlice<UInt8>) -> Bool {
        if !session.receive(bytes) { failed = true }
        connection.scheduleFlush()
        return true  // even on failure: flush the GOAWAY first, then `isFinished` closes
    }

    func produceOutput() {
        guard !connection.isOverHighWatermark else { return }
        connection.withOutbound { session.drainOutput(into: &$0, limit: limits.outboundHighWatermark) }
    }

    var hasPendingOutput: Bool { session.wantsWrite }

    func outboundDrained() {
        connection.scheduleFlush()
    }

    func beginGracefulShutdown() {
        session.goAway()
        connection.scheduleFlush()
    }

    func requestHeadTimedOut() {
        for stream in streams.values where !stream.headersComplete {
            session.reset(stream.id, errorCode: HTTP2Session.cancelError)
        }
    }

    func connectionClosed() {
        for stream in streams.values { close(stream) }
        streams.removeAll()
    }

    // MARK: session events

    func streamBegan(_ id: Int32) {
        streams[id] = HTTP2Stream(id: id, loop: loop)
    }

    func streamHeader(_ id: Int32, name: String, value: String) -> Bool {
        guard let stream = streams[id] else { return false }
        stream.headerBytes += name.utf8.count + value.utf8.count + 32
        guard stream.headerBytes <= limits.maxHeaderListBytes else { return false }
        switch name {
        case ":method": stream.method = value
        case ":path": stream.path = value
        case ":authority": stream.headers.append("host", value)
        case ":scheme": break
        default: stream.headers.append(name, value)
        }
        return true
    }

    func streamHeadersComplete(_ id: Int32) {
        guard let stream = streams[id] else { return }
        stream.headersComplete = true
        if connection.services.responder.streamsRequestBody(path: stream.path, headers: stream.headers) {
            stream.bodyStream = RequestBodyStream(loop: loop, limit: limits.maxRequestBodyBytes)
            dispatch(stream)
        }
    }

    func streamData(_ id: Int32, _ bytes: [UInt8]) {
        guard let stream = streams[id], !stream.bodyTooLarge else { return }
        if let bodyStream = stream.bodyStream {
            // A reader that falls this far behind is not reading: reset rather than buffer.
            if !bodyStream.append(bytes) { session.reset(id, errorCode: HTTP2Session.internalError) }
            return
        }
        if stream.body.count + bytes.count > limits.maxRequestBodyBytes {
            // Answer now rather than read the rest; the stream is reset once the answer is out.
            stream.bodyTooLarge = true
            stream.body = []
            dispatch(stream)
        } else {
            stream.body.append(contentsOf: bytes)
        }
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
        guard let stream = streams.removeValue(forKey: id) else { return }
        close(stream)
    }

    func streamOutboxDrained(_ id: Int32) {
        streams[id]?.waiters.resumeAll()
    }

    private func dispatch(_ stream: HTTP2Stream) {
        let writer = HTTP2ResponseWriter(owner: self, streamID: stream.id, isHead: stream.method == "HEAD")
        stream.writer = writer
        stream.context = connection.services.dispatch(stream.makeRequest(), writer: writer, loop: loop)
        connection.markActivity()
    }

    private func close(_ stream: HTTP2Stream) {
        stream.bodyStream?.finish(ResponseWriteError.streamClosed)
        stream.writer?.closed = true
        stream.waiters.failAll(ResponseWriteError.streamClosed)
        stream.context?.cancel()
        stream.writer = nil
        stream.context = nil
    }

    // MARK: output, called by writers on the loop

    func respond(_ id: Int32, head: ResponseHead, trailers: HTTPFields, endStream: Bool) throws {
        guard streams[id] != nil, session.respond(id, head: head, extraFields: trailers, endStream: endStream) else {
            throw ResponseWriteError.streamClosed
        }
        connection.scheduleFlush()
    }

    /// Queues body bytes; returns true when the writer should wait for the peer to read.
    func send(_ id: Int32, _ bytes: [UInt8]) throws -> Bool {
        guard streams[id] != nil else { throw ResponseWriteError.streamClosed }
        let buffered = session.enqueue(id, bytes)
        connection.scheduleFlush()
        connection.markActivity()
        return buffered >= limits.outboundHighWatermark
    }

    func finish(_ id: Int32, trailers: HTTPFields?) {
        session.finish(id, trailers: trailers)
        connection.scheduleFlush()
    }

    func waitForDrain(_ id: Int32) async throws {
        guard let stream = streams[id] else { throw ResponseWriteError.streamClosed }
        try await stream.waiters.wait()
    }
}
