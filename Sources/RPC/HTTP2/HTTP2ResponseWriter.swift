import Reactor

/// Writes one HTTP/2 response; the head goes out at once, the body through the stream's flow-controlled
/// outbox, and trailers (gRPC status) in the final HEADERS frame.
final class HTTP2ResponseWriter: ResponseWriter, @unchecked Sendable {
    private let owner: HTTP2Connection
    private let streamID: Int32
    private let isHead: Bool
    private var headWritten = false
    private var done = false
    /// Set by the connection when the stream closes; writes then fail.
    var closed = false

    init(owner: HTTP2Connection, streamID: Int32, isHead: Bool) {
        self.owner = owner
        self.streamID = streamID
        self.isHead = isHead
    }

    func writeHead(_ head: ResponseHead) async throws {
        try await owner.loop.run { try self.sendHead(head, trailers: HTTPFields(), endStream: false) }
    }

    func writeBody(_ bytes: [UInt8]) async throws {
        let mustWait = try await owner.loop.run { try self.queueBody(bytes) }
        if mustWait { try await waitForRoom() }
    }

    var eventLoop: EventLoop? { owner.loop }

    func queueBody(_ bytes: [UInt8]) throws -> Bool {
        owner.loop.assertOnLoop()
        guard !done, !closed else { throw ResponseWriteError.streamClosed }
        if !headWritten {
            try sendHead(ResponseHead(status: 200), trailers: HTTPFields(), endStream: false)
        }
        if isHead || bytes.isEmpty { return false }
        return try owner.send(streamID, bytes)
    }

    func waitForRoom() async throws {
        try await owner.waitForDrain(streamID)
    }

    func finish(head: ResponseHead?, trailers: HTTPFields) async throws {
        try await owner.loop.run {
            guard !self.done, !self.closed else { return }
            if !self.headWritten {
                // Head-only response: with gRPC this is "trailers-only", one HEADERS frame with END_STREAM.
                try self.sendHead(head ?? ResponseHead(status: 200), trailers: trailers, endStream: true)
            } else {
                self.owner.finish(self.streamID, trailers: trailers.count > 0 ? trailers : nil)
            }
            self.done = true
        }
    }

    private func sendHead(_ head: ResponseHead, trailers: HTTPFields, endStream: Bool) throws {
        guard !headWritten, !done, !closed else { throw ResponseWriteError.streamClosed }
        headWritten = true
        var head = head
        head.headers.remove("connection")
        head.headers.remove("transfer-encoding")
        try owner.respond(streamID, head: head, trailers: trailers, endStream: endStream)
    }
}
