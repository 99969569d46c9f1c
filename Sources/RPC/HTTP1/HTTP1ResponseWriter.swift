import Reactor

/// Writes one HTTP/1.1 response: fixed-length when the handler gives `content-length`, chunked otherwise.
final class HTTP1ResponseWriter: ResponseWriter, @unchecked Sendable {
    private let owner: HTTP1Connection
    /// Loop-confined; cleared by a graceful shutdown so the response says `connection: close`.
    var keepAlive: Bool
    private let isHead: Bool
    private var chunked = false
    private var headWritten = false
    private var done = false

    init(owner: HTTP1Connection, keepAlive: Bool, isHead: Bool) {
        self.owner = owner
        self.keepAlive = keepAlive
        self.isHead = isHead
    }

    func writeHead(_ head: ResponseHead) async throws {
        if owner.loop.inEventLoop { return try sendHead(head) }
        try await owner.loop.run { try self.sendHead(head) }
    }

    func writeBody(_ bytes: [UInt8]) async throws {
        let mustWait =
            owner.loop.inEventLoop ? try queueBody(bytes) : try await owner.loop.run { try self.queueBody(bytes) }
        if mustWait { try await waitForRoom() }
    }

    var eventLoop: EventLoop? { owner.loop }

    /// Head and body written together, the length given as a number: through the three steps, a unary answer
    /// took two more async calls and its length went through a header string and back (~1 k instructions).
    func respond(_ head: consuming ResponseHead, body: [UInt8]) async throws {
        guard owner.loop.inEventLoop else { return try await respondInSteps(head, body: body) }
        try sendHead(head, length: body.count)
        if !isHead, !body.isEmpty, try owner.write(body, from: self) { try await waitForRoom() }
        try end(head: nil, trailers: HTTPFields())
    }

    func waitForRoom() async throws {
        try await owner.waiters.wait()
    }

    func finish(head: ResponseHead?, trailers: HTTPFields) async throws {
        if owner.loop.inEventLoop { return try end(head: head, trailers: trailers) }
        try await owner.loop.run { try self.end(head: head, trailers: trailers) }
    }

    // The handler's task usually runs on the connection's loop already: the work is done in place then,
    // without the closure (an allocation) that a hop to the loop needs.

    /// Queues body bytes; true when the client is not reading and the writer must wait.
    func queueBody(_ bytes: [UInt8]) throws -> Bool {
        guard try readyForBody(), !bytes.isEmpty else { return false }
        guard chunked else { return try owner.write(bytes, from: self) }
        return try owner.write(from: self) { HTTP1Serializer.appendChunk(bytes, to: &$0) }
    }

    /// Queues what `encode` appends, written straight into the connection's outbound buffer (framed as a
    /// chunk in place when the body is chunked).
    func queueBody(encodedBy encode: (inout [UInt8]) -> Void) throws -> Bool {
        guard try readyForBody() else { return false }
        guard chunked else { return try owner.write(from: self, encode) }
        return try owner.write(from: self) { HTTP1Serializer.appendChunk(encodedBy: encode, to: &$0) }
    }

    /// Sends the head first if it has not gone yet; false for a HEAD request, whose body is never sent.
    private func readyForBody() throws -> Bool {
        owner.loop.assertOnLoop()
        guard !done else { throw ResponseWriteError.streamClosed }
        if !headWritten { try sendHead(ResponseHead(status: 200)) }
        return !isHead
    }

    private func end(head: ResponseHead?, trailers: HTTPFields) throws {
        guard !done else { return }
        if !headWritten {
            var head = head ?? ResponseHead(status: 200)
            head.headers.set("content-length", head.headers["content-length"] ?? "0")
            try sendHead(head)
        }
        done = true
        if chunked, !isHead {
            _ = try owner.write(HTTP1Serializer.lastChunk(trailers: trailers), from: self)
        }
        owner.finished(self)
    }

    private func sendHead(_ head: ResponseHead) throws {
        try sendHead(head, length: head.headers["content-length"].flatMap(Int.init))
    }

    /// Sends the head, with `length` as its content length; nil sends the body chunked.
    private func sendHead(_ head: ResponseHead, length: Int?) throws {
        guard !headWritten, !done else { throw ResponseWriteError.streamClosed }
        headWritten = true
        chunked = length == nil
        let close = !keepAlive
        _ = try owner.write(from: self) { HTTP1Serializer.appendHead(head, bodyLength: length, close: close, to: &$0) }
    }

}
