/// One RPC method bound to a handler: unary or server-streaming, typed by its request and response messages.
public struct GRPCMethod: Sendable {
    /// `/package.Service/Method`
    public let path: String
    let run: @Sendable (_ payload: [UInt8], _ context: GRPCContext, _ call: GRPCCall) async throws -> Void

    /// A method that answers one request with one response.
    public static func unary<Request: GRPCMessage, Response: GRPCMessage>(
        _ path: String, _ handler: @escaping @Sendable (Request, GRPCContext) async throws -> Response
    ) -> GRPCMethod {
        GRPCMethod(path: path) { payload, context, call in
            let request = try Request(grpcPayload: payload)
            let response = try await handler(request, context)
            try await call.send(try response.grpcPayload())
        }
    }

    /// A method that answers one request with a stream of responses.
    public static func serverStreaming<Request: GRPCMessage, Response: GRPCMessage>(
        _ path: String,
        _ handler: @escaping @Sendable (Request, GRPCContext, GRPCResponseStream<Response>) async throws -> Void
    ) -> GRPCMethod {
        GRPCMethod(path: path) { payload, context, call in
            let request = try Request(grpcPayload: payload)
            try await handler(request, context, GRPCResponseStream(call: call))
        }
    }
}

/// The sending half of a server-streaming call; `send` waits while the client is not reading.
public struct GRPCResponseStream<Message: GRPCMessage>: Sendable {
    let call: GRPCCall

    public func send(_ message: Message) async throws {
        try await call.send(try message.grpcPayload())
    }
}
