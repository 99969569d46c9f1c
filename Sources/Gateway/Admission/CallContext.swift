import Reactor

/// Who is calling and until when: what the front doors know about a request beyond its message. Made by
/// the admission step (`ModelGateway.admit`), never by a front door itself.
public struct CallContext: Sendable {
    public var requestID: String
    /// Who the client authenticated as (its key, the key's name, scope and limit), if it presented a key.
    public var client: Authenticator.Client?
    /// The API key the client presented.
    public var apiKey: String? { client?.key }
    /// The client's deadline (gRPC `grpc-timeout`); provider calls never outlive it.
    public var deadline: MonotonicInstant?
    /// Time spent waiting on providers, for the overhead measurement.
    public let timing: CallTiming
    /// The client's W3C `traceparent`, continued by the gateway's spans and passed on to providers.
    public var traceparent: String?
    /// The API the call came in through.
    public var api: FrontDoorAPI

    init(
        requestID: String, client: Authenticator.Client? = nil, deadline: MonotonicInstant? = nil,
        traceparent: String? = nil,
        timing: CallTiming = CallTiming(), api: FrontDoorAPI = .native
    ) {
        self.api = api
        self.requestID = requestID
        self.client = client
        self.deadline = deadline
        self.traceparent = traceparent
        self.timing = timing
    }

    /// How usage, logs and traces name the client: its key's name, or a short id of its key.
    var keyID: String? { client?.label }

    /// The headers every answer to this call carries, as of now.
    public func decorations() -> ResponseDecorations {
        ResponseDecorations(requestID: requestID, overheadSeconds: timing.overheadSeconds)
    }

    /// The provider's timeouts, with the total cut to what is left of the client's deadline.
    func timeouts(_ configured: UpstreamTimeouts) throws(GatewayError) -> UpstreamTimeouts {
        guard let deadline else { return configured }
        let left = Double(MonotonicInstant.now().nanoseconds(until: deadline)) / 1e9
        guard left > 0 else { throw GatewayError(.deadlineExceeded, "the request's deadline passed") }
        var timeouts = configured
        if left < configured.total ?? .infinity {
            timeouts.total = left
            timeouts.totalIsClientDeadline = true
        }
        return timeouts
    }

    /// Whether waiting `delay` still leaves the call inside its deadline.
    func fits(_ delay: Duration) -> Bool {
        guard let deadline else { return true }
        let nanoseconds = UInt64(clamping: Int64(delay.nanoseconds.rounded()))
        return MonotonicInstant.now().advanced(byNanoseconds: nanoseconds) < deadline
    }
}
