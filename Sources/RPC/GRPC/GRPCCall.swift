/// The response side of one gRPC call: headers once, framed messages, then exactly one status —
/// whichever of the handler, its error, or the deadline timer gets there first.
///
/// Loop-confined: the handler's task and the deadline timer both run on the request's event loop, and
/// `finished` is set before the first suspension point of `finish`, so a status is never sent twice.
final class GRPCCall: @unchecked Sendable {
    private let writer: any ResponseWriter
    private let context: GRPCContext
    private let beforeHead: (@Sendable (GRPCContext) -> Void)?
    private let compressResponses: Bool
    private let encodingHeaders: HTTPFields
    private var headersSent = false
    private(set) var finished = false
    private var expired = false

    init(
        writer: any ResponseWriter, context: GRPCContext, beforeHead: (@Sendable (GRPCContext) -> Void)? = nil,
        compressResponses: Bool, encodingHeaders: HTTPFields
    ) {
        self.writer = writer
        self.context = context
        self.beforeHead = beforeHead
        self.compressResponses = compressResponses
        self.encodingHeaders = encodingHeaders
    }

    private func responseHead() -> ResponseHead {
        beforeHead?(context)
        var head = ResponseHead(status: 200, headers: ["content-type": "application/grpc"])
        for field in encodingHeaders.entries { head.headers.append(field) }
        for field in context.responseMetadata.entries { head.headers.append(field) }
        return head
    }

    /// Sends messages, framed, in one write.
    func send(_ payloads: [[UInt8]]) async throws {
        var batch = GRPCMessageBatch()
        for payload in payloads { batch.append { $0.append(contentsOf: payload) } }
        try await send(batch)
    }

    /// Sends a batch of messages framed as they were written, in one write.
    func send(_ batch: GRPCMessageBatch) async throws {
        guard !finished, !expired else { throw CancellationError() }
        if !headersSent {
            headersSent = true
            try await writer.writeHead(responseHead())
        }
        try await writer.writeBody(compressResponses ? batch.compressed() : batch.frames)
    }

    /// True when `sendNow` may be called on the calling thread: the headers went out, and the call's
    /// connection lives on this thread's event loop.
    var canSendNow: Bool { headersSent && writer.eventLoop?.inEventLoop == true }

    /// Queues a batch at once, without waiting (see `ResponseWriter.queueBody`); true when the client is not
    /// reading and `waitForRoom()` must come before more.
    func sendNow(_ batch: GRPCMessageBatch) throws -> Bool {
        guard !finished, !expired else { throw CancellationError() }
        return try writer.queueBody(compressResponses ? batch.compressed() : batch.frames)
    }

    func waitForRoom() async throws {
        try await writer.waitForRoom()
    }

    /// Called by the deadline timer, on the loop: whatever the handler does next, the call ends
    /// DEADLINE_EXCEEDED (its task is being cancelled, and it must not report that as CANCELLED).
    func expire() {
        expired = true
    }

    /// Sends the status: in trailers after messages, or as a trailers-only response when none was sent.
    func finish(_ status: GRPCStatus) async {
        guard !finished else { return }
        let status = expired ? GRPCStatus(.deadlineExceeded, "deadline exceeded") : status
        finished = true
        let trailers = status.trailerFields()
        if headersSent {
            try? await writer.finish(head: nil, trailers: trailers)
        } else {
            // Trailers-only: the status rides in the one and only HEADERS frame.
            var head = responseHead()
            for field in trailers { head.headers.append(field.name, field.value) }
            try? await writer.finish(head: head, trailers: HTTPFields())
        }
    }
}
