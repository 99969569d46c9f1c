import Gateway
import RPC

/// How REST answers are written: JSON bodies, the contract's error body, and `x-request-id` on every one.
enum RESTResponses {
    /// The client's `x-request-id` when it is a sane token, or a new one.
    static func requestID(_ request: ServerRequest) -> String {
        RequestID.accepting(request.headers["x-request-id"])
    }

    /// A JSON answer with `x-request-id` and `x-gateway-overhead-ms` (every REST answer carries both).
    static func json(
        _ writer: any ResponseWriter, status: Int = 200, _ body: JSON, requestID: String, timing: CallTiming,
        headers: HTTPFields = HTTPFields()
    ) async {
        var head = ResponseHead(status: status, headers: headers)
        head.headers.set("content-type", "application/json")
        head.headers.set("x-request-id", requestID)
        head.headers.set("x-gateway-overhead-ms", overheadMilliseconds(timing))
        try? await writer.respond(head, body: JSONSerializer.serialize(body))
    }

    /// `x-gateway-overhead-ms`: the request's time so far that was not spent waiting on providers.
    static func overhead(_ context: CallContext) -> HTTPFields {
        ["x-gateway-overhead-ms": overheadMilliseconds(context.timing)]
    }

    static func overheadMilliseconds(_ timing: CallTiming) -> String {
        ModelGatewayService.format3(timing.overheadSeconds * 1000)
    }

    static func errorBody(_ error: GatewayError, requestID: String) -> JSON {
        [
            "error": [
                "code": .string(error.kind.rawValue), "message": .string(error.message),
                "request_id": .string(requestID),
            ]
        ]
    }

    static func error(
        _ writer: any ResponseWriter, _ error: any Error, requestID: String, timing: CallTiming,
        headers: HTTPFields = HTTPFields()
    ) async {
        let domain = error as? GatewayError ?? GatewayError(.internalError, "internal error")
        var headers = headers
        if let seconds = domain.retryAfterSeconds { headers.set("retry-after", String(seconds)) }
        await json(
            writer, status: ErrorStatusTable.statuses(domain.kind).http, errorBody(domain, requestID: requestID),
            requestID: requestID, timing: timing, headers: headers)
    }

    /// Errors the server answers before any handler (malformed HTTP, oversized head, slow head) in the same shape.
    static let protocolErrors = ProtocolErrorRenderer { status, message in
        let kind: GatewayError.Kind =
            switch status {
            case 413, 431: .payloadTooLarge
            case 408: .deadlineExceeded
            default: .malformedRequest
            }
        let requestID = RequestID.uuid()
        let body = JSONSerializer.serialize(errorBody(GatewayError(kind, message), requestID: requestID))
        return (
            ResponseHead(
                status: status,
                headers: [
                    "content-type": "application/json", "x-request-id": requestID,
                    // Answered by the transport before any handler ran: no measurable work of the gateway's.
                    "x-gateway-overhead-ms": "0.000",
                ]), body
        )
    }

    /// A query string as a dictionary, values percent-decoded (`+` as space).
    static func query(_ query: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                PercentEncoding.decode(String($0).replacingPlus())
            }
            if let key = parts.first { result[key] = parts.count > 1 ? parts[1] : "" }
        }
        return result
    }
}

extension String {
    fileprivate func replacingPlus() -> String {
        String(unicodeScalars.map { $0 == "+" ? " " : Character($0) })
    }
}
