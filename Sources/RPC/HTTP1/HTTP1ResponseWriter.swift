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
        try await onLoop { try self.sendHead(head) }
    }

    func writeBody(_ bytes: [UInt8]) async throws {
        let mustWait = try await onLoop { () -> Bool in
            guard !self.done else { throw ResponseWriteError.streamClosed }
            if !self.headWritten { try self.sendHead(ResponseHead(status: 200)) }
            if self.isHead || bytes.isEmpty { return false }
            return try self.owner.write(self.chunked ? HTTP1Serializer.chunk(bytes) : bytes, from: self)
        }
        if mustWait { try await owner.waiters.wait() }
    }

    func finish(head: ResponseHead?, trailers: HTTPFields) async throws {
        try await onLoop {
            guard !self.done else { return }
            if !self.headWritten {
                var head = head ?? ResponseHead(status: 200)
                head.headers.set("content-length", head.headers["content-length"] ?? "0")
                try self.sendHead(head)
            }
            self.done = true
            if self.chunked, !self.isHead {
                _ = try self.owner.write(HTTP1Serializer.lastChunk(trailers: trailers), from: self)
            }
            self.owner.finished(self)
        }
    }

    private func sendHead(_ head: ResponseHead) throws {
        guard !headWritten, !done else { throw ResponseWriteError.streamClosed }
        headWritten = true
        let length = head.headers["content-length"].flatMap(Int.init)
        chunked = length == nil
        _ = try owner.write(HTTP1Serializer.head(head, bodyLength: length, close: !keepAlive), from: self)
    }

    private func onLoop<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await owner.loop.run(body)
    }
}
