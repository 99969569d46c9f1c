import Reactor

/// The status line and headers of a response.
public struct ResponseHead: Sendable {
    public var status: Int
    public var headers: HTTPFields

    public init(status: Int, headers: HTTPFields = HTTPFields()) {
        self.status = status
        self.headers = headers
    }
}

/// Why a response could not be written: the peer went away or the stream was reset.
public struct ResponseWriteError: Error, Sendable, Equatable {
    public var reason: String
    static let streamClosed = ResponseWriteError(reason: "the stream is closed")
}

/// A streaming response body out, with trailers; one per request, used by one task.
///
/// `writeBody` suspends while the peer is not reading (flow control), so a slow client slows its
/// producer rather than growing a buffer. Calling `finish` without a prior `writeHead` sends a
/// head-only answer (over HTTP/2, trailers become part of that single HEADERS frame).
public protocol ResponseWriter: AnyObject, Sendable {
    func writeHead(_ head: ResponseHead) async throws
    func writeBody(_ bytes: [UInt8]) async throws
    func finish(head: ResponseHead?, trailers: HTTPFields) async throws

    /// The event loop the response's connection lives on, where `queueBody` may be called; nil when there
    /// is none (writers in memory).
    var eventLoop: EventLoop? { get }
    /// Queues body bytes at once, on `eventLoop` only: code already on the loop (a provider's transfer
    /// callback) writes without a task. True when the client is not reading: the bytes are queued all the
    /// same, and `waitForRoom()` must come before more.
    func queueBody(_ bytes: [UInt8]) throws -> Bool
    /// `queueBody` of the bytes `encode` appends to the buffer it is given. A writer that frames in place
    /// (HTTP/1.1) gives its connection's outbound buffer, so a stream's events are written once, not into an
    /// array of their own and then copied. `encode` must only append.
    func queueBody(encodedBy encode: (inout [UInt8]) -> Void) throws -> Bool
    /// Waits until the client has read what was queued (see `queueBody`).
    func waitForRoom() async throws
    /// Writes a complete response in one step: head, body, end.
    func respond(_ head: consuming ResponseHead, body: [UInt8]) async throws
}

extension ResponseWriter {
    public var eventLoop: EventLoop? { nil }

    public func queueBody(_ bytes: [UInt8]) throws -> Bool {
        throw ResponseWriteError(reason: "this writer has no event loop to queue on")
    }

    public func queueBody(encodedBy encode: (inout [UInt8]) -> Void) throws -> Bool {
        var bytes: [UInt8] = []
        encode(&bytes)
        return try queueBody(bytes)
    }

    public func waitForRoom() async throws {}

    public func respond(_ head: consuming ResponseHead, body: [UInt8]) async throws {
        try await respondInSteps(head, body: body)
    }

    /// `respond` as the three steps in turn: head, body, end. `consuming`: a caller that hands its head over
    /// (`consume head`) spares a copy of its header list.
    public func respondInSteps(_ head: consuming ResponseHead, body: [UInt8]) async throws {
        head.headers.set("content-length", String(body.count))
        try await writeHead(head)
        if !body.isEmpty { try await writeBody(body) }
        try await finish(head: nil, trailers: HTTPFields())
    }
}

/// Answers requests; both protocols and every service hand their requests to one of these.
public protocol HTTPResponder: Sendable {
    func respond(to request: ServerRequest, writer: any ResponseWriter, context: RequestContext) async
    /// True for requests that must start before their body is complete (bidirectional streams, HTTP/2 only).
    func streamsRequestBody(path: String, headers: HTTPFields) -> Bool
}

extension HTTPResponder {
    public func streamsRequestBody(path: String, headers: HTTPFields) -> Bool { false }
}
