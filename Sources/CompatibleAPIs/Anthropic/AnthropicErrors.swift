import Gateway

/// Anthropic's error shape, `{"type": "error", "error": {"type", "message"}}`, with its error types.
enum AnthropicErrors {
    static func body(_ error: GatewayError) -> JSON {
        ["type": "error", "error": ["type": .string(type(error.kind)), "message": .string(error.message)]]
    }

    static func type(_ kind: GatewayError.Kind) -> String {
        switch kind {
        case .notFound: "not_found_error"
        case .unauthenticated: "authentication_error"
        case .modelNotAllowed: "permission_error"
        case .rateLimited, .budgetExceeded: "rate_limit_error"
        case .payloadTooLarge: "request_too_large"
        case .noProviderAvailable: "overloaded_error"
        case .malformedRequest, .invalidRequest, .methodNotAllowed: "invalid_request_error"
        case .providerError, .providerTimeout, .deadlineExceeded, .cancelled, .unimplemented, .internalError:
            "api_error"
        }
    }
}
