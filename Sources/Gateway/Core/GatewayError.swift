/// The one error type of the gateway: a kind (which fixes the HTTP and gRPC status through one table in
/// the front doors), a message safe to show a client, and what a client needs to act on it.
public struct GatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Each kind is one row of the status table; its raw value is the `code` of REST error bodies.
    public enum Kind: String, Sendable, CaseIterable {
        /// The body is not JSON (or not a decodable message).
        case malformedRequest = "malformed_request"
        /// Well-formed but invalid: a missing field, a value out of range, a wrong type.
        case invalidRequest = "invalid_request"
        case notFound = "not_found"
        case methodNotAllowed = "method_not_allowed"
        case payloadTooLarge = "payload_too_large"
        case unauthenticated
        /// The client's key may not use the model it asked for (`auth.keys[].models`).
        case modelNotAllowed = "model_not_allowed"
        case rateLimited = "rate_limited"
        /// A named key spent its budget for the day (US dollars) or the month (tokens).
        case budgetExceeded = "budget_exceeded"
        /// The provider answered with an error (including its own auth failures: never a client 401).
        case providerError = "provider_error"
        /// No provider could take the request: all down, circuits open, or inactive.
        case noProviderAvailable = "no_provider_available"
        /// The provider did not answer in time (connect, first token, idle, total).
        case providerTimeout = "provider_timeout"
        /// The client's own deadline passed.
        case deadlineExceeded = "deadline_exceeded"
        case cancelled
        case unimplemented
        case internalError = "internal_error"
    }

    public var kind: Kind
    public var message: String
    /// Seconds the client should wait before retrying (rate limits).
    public var retryAfterSeconds: Int?
    /// A provider refused the gateway's own credentials (401/403): a provider error, reported as such.
    public var isProviderAuthenticationFailure = false
    /// The model and provider the error came from, where known (for typed error details, not equality).
    public var model: String?
    public var provider: String?

    public init(_ kind: Kind, _ message: String, retryAfterSeconds: Int? = nil) {
        self.kind = kind
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(kind.rawValue): \(message)" }

    public static func == (lhs: GatewayError, rhs: GatewayError) -> Bool {
        lhs.kind == rhs.kind && lhs.message == rhs.message && lhs.retryAfterSeconds == rhs.retryAfterSeconds
            && lhs.isProviderAuthenticationFailure == rhs.isProviderAuthenticationFailure
    }

    /// The invalid field an `invalid(_:_:)` error names (its message's prefix before ": ").
    public var field: String? {
        guard kind == .invalidRequest || kind == .malformedRequest, let colon = message.range(of: ": ") else {
            return nil
        }
        let field = message[..<colon.lowerBound]
        return field.isEmpty || field.contains(" ") ? nil : String(field)
    }

    /// Errors worth trying on another model or provider; client errors are not.
    public var allowsFailover: Bool {
        switch kind {
        case .providerError, .noProviderAvailable, .providerTimeout, .rateLimited: true
        default: false
        }
    }

    public static func invalid(_ field: String, _ reason: String) -> GatewayError {
        GatewayError(.invalidRequest, "\(field): \(reason)")
    }
}
