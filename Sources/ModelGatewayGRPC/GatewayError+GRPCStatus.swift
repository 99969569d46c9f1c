import Gateway
import RPC

/// The one table from domain errors to gRPC statuses (the HTTP statuses are `GatewayError.Kind.httpStatus`).
extension GatewayError: GRPCStatusConvertible {
    public var grpcStatus: GRPCStatus {
        var trailers = HTTPFields()
        if let seconds = retryAfterSeconds { trailers.append("retry-after", String(seconds)) }
        trailers.append("grpc-status-details-bin", GRPCErrorDetails.trailer(self, code: kind.grpcCode))
        return GRPCStatus(kind.grpcCode, message, trailers: trailers)
    }
}

extension GatewayError.Kind {
    var grpcCode: GRPCStatus.Code {
        switch self {
        case .malformedRequest, .invalidRequest: .invalidArgument
        case .notFound: .notFound
        case .methodNotAllowed, .unimplemented: .unimplemented
        case .payloadTooLarge, .rateLimited, .budgetExceeded: .resourceExhausted
        case .unauthenticated: .unauthenticated
        case .modelNotAllowed: .permissionDenied
        case .providerError, .internalError: .internalError
        case .noProviderAvailable: .unavailable
        case .providerTimeout, .deadlineExceeded: .deadlineExceeded
        case .cancelled: .cancelled
        }
    }
}

extension GRPCStatus {
    /// The status for whatever a gateway call threw: a domain error's own, CANCELLED for cancellation, and
    /// INTERNAL without details for anything else (whose description is not the client's to read).
    static func answering(_ error: any Error) -> GRPCStatus {
        switch error {
        case let status as GRPCStatus: status
        case let domain as GatewayError: domain.grpcStatus
        case is CancellationError: GRPCStatus(.cancelled, "cancelled")
        default: GRPCStatus(.internalError, "internal error")
        }
    }
}
