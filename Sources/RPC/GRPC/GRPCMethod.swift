/// One RPC method bound to a handler: unary or server-streaming, typed by its request and response messages.
public struct GRPCMethod: Sendable {
    /// `/package.Service/Method`
    public let path: String
    /// For methods that take one request message.
    let run: (@Sendable (_ payload: [UInt8], _ context: GRPCContext, _ call: GRPCCall) async throws -> Void)?
    /// For methods that read a stream of request messages while answering (bidirectional).
    let runStreaming:
        (@Sendable (_ messages: GRPCRequestMessages, _ context: GRPCContext, _ call: GRPCCall) async throws -> Void)?

    private init(
        path: String,
        run: @escaping @Sendable (_ payload: [UInt8], _ context: GRPCContext, _ call: GRPCCall) async throws -> Void
    ) {
        self.path = path
        self.run = run
        runStreaming = nil
    }

    private init(
        path: String,
        runStreaming: @escaping @Sendable (GRPCRequestMessages, GRPCContext, GRPCCall) async throws -> Void
    ) {
        self.path = path
        run = nil
        self.runStreaming = runStreaming
    }

    /// A method that reads request messages as they arrive and answers with a stream.
    public static func bidirectionalStreaming<Request: GRPCRequestMessage, Response: GRPCResponseMessage>(
        _ path: String,
        _ handler:
            @escaping @Sendable (GRPCRequestStream<Request>, GRPCContext, GRPCResponseStream<Response>) async throws ->
            Void
    ) -> GRPCMethod {
        GRPCMethod(path: path) { messages, context, call in
            try await handler(GRPCRequestStream(messages: messages), context, GRPCResponseStream(call: call))
        }
    }

    /// A method that answers one request with one response.
    public static func unary<Request: GRPCRequestMessage, Response: GRPCResponseMessage>(
        _ path: String, _ handler: @escaping @Sendable (Request, GRPCContext) async throws -> Response
    ) -> GRPCMethod {
        GRPCMethod(path: path) { payload, context, call in
            let request = try Request(grpcPayload: payload)
            let response = try await handler(request, context)
            try await call.send([try response.grpcPayload()])
        }
    }

    /// A method that answers one request with a stream of responses.
    public static func serverStreaming<Request: GRPCRequestMessage, Response: GRPCResponseMessage>(
        _ path: String,
        _ handler: @escaping @Sendable (Request, GRPCContext, GRPCResponseStream<Response>) async throws -> Void
    ) -> GRPCMethod {
        GRPCMethod(path: path) { payload, context, call in
            let request = try Request(grpcPayload: payload)
            try await handler(request, context, GRPCResponseStream(call: call))
        }
    }
}

/// The receiving half of a bidirectional call: decoded request messages, nil once the client is done.
public struct GRPCRequestStream<Message: GRPCRequestMessage>: Sendable {
    let messages: GRPCRequestMessages

    public func next() async throws -> Message? {
        guard let payload = try await messages.next() else { return nil }
        return try Message(grpcPayload: payload)
    }
}

/// The sending half of a server-streaming call; `send` waits while the client is not reading.
public struct GRPCResponseStream<Message: GRPCResponseMessage>: Sendable {
    let call: GRPCCall

    public func send(_ message: Message) async throws {
        try await call.send([try message.grpcPayload()])
    }

    /// Sends messages their caller already encoded (as `Message.grpcPayload()` would), in one write: a burst
    /// costs one wake of the connection, not one per message.
    public func send(payloads: [[UInt8]]) async throws {
        try await call.send(payloads)
    }

    /// Sends messages written straight into their frames (`GRPCMessageBatch`), in one write.
    public func send(_ batch: GRPCMessageBatch) async throws {
        try await call.send(batch)
    }

    /// True when `sendNow` may be called on the calling thread: after the first `send`, on the call's event
    /// loop.
    public var canSendNow: Bool { call.canSendNow }

    /// Queues a batch at once, without waiting, from code on the call's event loop; true when the client is
    /// not reading and `waitForRoom()` must come before more.
    public func sendNow(_ batch: GRPCMessageBatch) throws -> Bool {
        try call.sendNow(batch)
    }

    /// Waits until the client has read what was queued.
    public func waitForRoom() async throws {
        try await call.waitForRoom()
    }
}
