import Reactor

/// What a gRPC handler knows about its call: the client's metadata, the deadline, and the metadata it
/// sends back with the response headers.
public final class GRPCContext: @unchecked Sendable {
    /// The request headers, gRPC's custom metadata included (`x-request-id`, `authorization`, …).
    public let requestMetadata: HTTPFields
    /// When the call must be answered by, from `grpc-timeout`; nil for no deadline.
    public let deadline: MonotonicInstant?
    /// Sent with the response headers; set it before the first message is sent.
    public var responseMetadata: HTTPFields
    /// The request's path, `/package.Service/Method`.
    public let method: String
    /// When the server began handling the call.
    public let startedAt = MonotonicInstant.now()

    init(requestMetadata: HTTPFields, deadline: MonotonicInstant?, responseMetadata: HTTPFields, method: String) {
        self.requestMetadata = requestMetadata
        self.deadline = deadline
        self.responseMetadata = responseMetadata
        self.method = method
    }
}
