/// Request messages of a streaming call, deframed (and decompressed) as the body arrives.
public final class GRPCRequestMessages: @unchecked Sendable {
    private let body: RequestBodyStream
    private var deframer: GRPCMessageDeframer
    private let gzip: Bool

    init(body: RequestBodyStream, maxMessageBytes: Int, gzip: Bool) {
        self.body = body
        deframer = GRPCMessageDeframer(maxMessageBytes: maxMessageBytes)
        self.gzip = gzip
    }

    /// The next message's payload; nil when the client half-closed after a whole message.
    func next() async throws -> [UInt8]? {
        while true {
            if let frame = try GRPCServer.nextFrame(&deframer) {
                return try GRPCServer.payload(of: frame, gzip: gzip, limit: deframer.maxMessageBytes)
            }
            guard let chunk = try await body.next() else {
                guard deframer.pendingBytes == 0 else {
                    throw GRPCStatus(.internalError, "the stream ended inside a message")
                }
                return nil
            }
            deframer.append(chunk)
        }
    }
}
