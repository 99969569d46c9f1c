/// The one admission step every front door takes: the request id (the client's when sane, else a new
/// one), the call's context (deadline, trace, key), and the verdict (authentication, body size). A refused
/// call still has its context, so its error answer carries the request id and overhead like any other.
public struct Admission: Sendable {
    public let context: CallContext
    /// Why the call may not go on, if it may not.
    public let refusal: GatewayError?

    /// The call's context, or its refusal thrown.
    public func admitted() throws(GatewayError) -> CallContext {
        try check()
        return context
    }

    /// Throws the refusal, if the call may not go on. For the front doors, which then lend `context` to the
    /// call where it is (`admitted()` hands out a copy: its strings retained, and released again).
    public func check() throws(GatewayError) {
        if let refusal { throw refusal }
    }
}

/// Decides admissions with the configured keys and request size limit.
struct Admitter: Sendable {
    let authenticator: Authenticator
    let maxRequestBytes: Int

    func admit(_ call: ArrivingCall) -> Admission {
        let requestID = RequestID.accepting(call.requestID)
        var client: Authenticator.Client?
        var refusal: GatewayError?
        do throws(GatewayError) {
            if !call.open { client = try authenticator.authenticate(authorization: call.authorization) }
            guard !call.bodyTooLarge else {
                throw GatewayError(.payloadTooLarge, "the request body exceeds \(maxRequestBytes) bytes")
            }
        } catch {
            refusal = error
        }
        // The context is made once, where it is handed over: made first and then completed, it was copied
        // into the admission and the original released (~220 instructions a request).
        let context = CallContext(
            requestID: requestID, client: client, deadline: call.deadline, traceparent: call.traceparent,
            timing: CallTiming(started: call.startedAt), api: call.api)
        return Admission(context: context, refusal: refusal)
    }
}
