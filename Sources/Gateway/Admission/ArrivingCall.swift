import Reactor

/// What a front door knows of a call as it arrives, in no wire protocol's terms: the admission step's input.
public struct ArrivingCall: Sendable {
    /// The client's `authorization` header (`Bearer <key>`).
    public var authorization: String?
    /// The client's `x-request-id`, kept when it is a sane token.
    public var requestID: String?
    /// The client's W3C `traceparent`.
    public var traceparent: String?
    /// The client's deadline (gRPC `grpc-timeout`).
    public var deadline: MonotonicInstant?
    /// When the server began handling the call: overhead counts from here.
    public var startedAt: MonotonicInstant
    /// An endpoint open without a key (health, metrics, reflection).
    public var open: Bool
    /// The server cut the request body at its size limit.
    public var bodyTooLarge: Bool
    /// Which API the call came in through: metrics, logs and spans name its calls after it.
    public var api: FrontDoorAPI

    /// The call's facts read from its request headers with `header` (lower-case names). Anthropic's clients
    /// send their key as `x-api-key`: with `acceptsXAPIKey` it counts as `authorization: Bearer <key>`.
    public init(
        header: (String) -> String?, deadline: MonotonicInstant? = nil, startedAt: MonotonicInstant = .now(),
        open: Bool = false, bodyTooLarge: Bool = false, api: FrontDoorAPI = .native, acceptsXAPIKey: Bool = false
    ) {
        authorization = header("authorization") ?? (acceptsXAPIKey ? header("x-api-key").map { "Bearer " + $0 } : nil)
        self.api = api
        requestID = header("x-request-id")
        traceparent = header("traceparent")
        self.deadline = deadline
        self.startedAt = startedAt
        self.open = open
        self.bodyTooLarge = bodyTooLarge
    }
}
