import Gateway

/// OpenAI's error shape, `{"error": {"message", "type", "param", "code"}}`, with the `type` its SDK and
/// clients expect for each status.
enum OpenAIErrors {
    static func body(_ error: GatewayError) -> JSON {
        [
            "error": [
                "message": .string(error.message), "type": .string(type(error.kind)), "param": .null,
                "code": .string(error.kind.rawValue),
            ]
        ]
    }

    static func type(_ kind: GatewayError.Kind) -> String {
        switch kind.httpStatus {
        case 400, 404, 405, 413, 422: kind == .notFound ? "not_found_error" : "invalid_request_error"
        case 401: "authentication_error"
        case 403: "permission_error"
        case 429: "rate_limit_error"
        default: "server_error"
        }
    }
}
