/// The one admission step every front door takes: the request id (the client's when sane, else a new
/// one), the call's context (deadline, trace, key), and the verdict (authentication, body size). A refused
/// call still has its context, so its error answer carries the request id and overhead like any other.
public struct Admission: Sendable {
    public let context: CallContext
    /// Why the call may not go on, if it may not.
    public let refusal: GatewayError?

    /// The call's context, or its refusal thrown.
    public func admitted() throws(GatewayError) -> CallContext {
        if let refusal { throw refusal }
        return context
    }
}

/// Decides admissions with the configured keys and request size limit.
struct Admitter: Sendable {
    let authenticator: Authenticator
    let maxRequestBytes: Int

    func admit(_ call: ArrivingCall) -> Admission {
        var context = CallContext(
            requestID: RequestID.accepting(call.requestID), deadline: call.deadline, traceparent: call.traceparent,
            timing: CallTiming(started: call.startedAt), api: call.api)
        do throws(GatewayError) {
            if !call.open { context.client = try authenticator.authenticate(authorization: call.authorization) }
            guard !call.bodyTooLarge else {
                throw GatewayError(.payloadTooLarge, "the request body exceeds \(maxRequestBytes) bytes")
            }
            return Admission(context: context, refusal: nil)
        } catch {
            return Admission(context: context, refusal: error)
        }
    }
}
