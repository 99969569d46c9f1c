import Gateway

/// The one table from domain errors to wire statuses, used by the gRPC service and the REST shim alike.
public enum ErrorStatusTable {
    public static func statuses(_ kind: GatewayError.Kind) -> (grpc: GRPCStatus.Code, http: Int) {
        switch kind {
        case .malformedRequest: (.invalidArgument, 400)
        case .invalidRequest: (.invalidArgument, 422)
        case .notFound: (.notFound, 404)
        case .methodNotAllowed: (.unimplemented, 405)
        case .payloadTooLarge: (.resourceExhausted, 413)
        case .unauthenticated: (.unauthenticated, 401)
        case .rateLimited: (.resourceExhausted, 429)
        case .providerError: (.internalError, 502)
        case .noProviderAvailable: (.unavailable, 503)
        case .providerTimeout: (.deadlineExceeded, 504)
        case .deadlineExceeded: (.deadlineExceeded, 504)
        case .cancelled: (.cancelled, 499)
        case .unimplemented: (.unimplemented, 501)
        case .internalError: (.internalError, 500)
        }
    }

    /// The gRPC status for an error thrown by the gateway (a `retry-after` trailer for rate limits).
    public static func grpcStatus(for error: any Error) -> GRPCStatus {
        if let status = error as? GRPCStatus { return status }
        guard let error = error as? GatewayError else {
            return error is CancellationError
                ? GRPCStatus(.cancelled, "cancelled") : GRPCStatus(.internalError, "internal error")
        }
        var trailers = HTTPFields()
        if let seconds = error.retryAfterSeconds { trailers.append("retry-after", String(seconds)) }
        return GRPCStatus(statuses(error.kind).grpc, error.message, trailers: trailers)
    }
}
