/// Who is calling and until when: what the front doors know about a request beyond its message.
public struct CallContext: Sendable {
    public var requestID: String
    /// The API key the client authenticated with, if keys are configured.
    public var apiKey: String?
    /// The client's deadline (gRPC `grpc-timeout`); provider calls never outlive it.
    public var deadline: ContinuousClock.Instant?
    /// Time spent waiting on providers, for the overhead measurement.
    public let timing = CallTiming()
    /// The client's W3C `traceparent`, continued by the gateway's spans and passed on to providers.
    public var traceparent: String?

    public init(
        requestID: String, apiKey: String? = nil, deadline: ContinuousClock.Instant? = nil, traceparent: String? = nil
    ) {
        self.requestID = requestID
        self.apiKey = apiKey
        self.deadline = deadline
        self.traceparent = traceparent
    }

    /// The provider's timeouts, with the total cut to what is left of the client's deadline.
    func timeouts(_ configured: UpstreamTimeouts) throws(GatewayError) -> UpstreamTimeouts {
        guard let deadline else { return configured }
        let left = (deadline - .now).milliseconds / 1000
        guard left > 0 else { throw GatewayError(.deadlineExceeded, "the request's deadline passed") }
        var timeouts = configured
        if left < configured.total ?? .infinity {
            timeouts.total = left
            timeouts.totalIsClientDeadline = true
        }
        return timeouts
    }
}
