extension GatewayError.Kind {
    /// The HTTP status every HTTP front door answers this kind of error with (contract section 4).
    public var httpStatus: Int {
        switch self {
        case .malformedRequest: 400
        case .invalidRequest: 422
        case .notFound: 404
        case .methodNotAllowed: 405
        case .payloadTooLarge: 413
        case .unauthenticated: 401
        case .modelNotAllowed: 403
        case .rateLimited, .budgetExceeded: 429
        case .providerError: 502
        case .noProviderAvailable: 503
        case .providerTimeout, .deadlineExceeded: 504
        case .cancelled: 499
        case .unimplemented: 501
        case .internalError: 500
        }
    }
}
