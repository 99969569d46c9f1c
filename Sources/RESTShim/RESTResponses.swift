import Gateway
import RPC

/// How REST answers are written: JSON bodies, the contract's error body, and `x-request-id` on every one.
package enum RESTResponses {
    /// Adds the headers every answer carries (`x-request-id`, `x-gateway-overhead-ms`) as of now.
    package static func decorate(_ head: inout ResponseHead, _ context: CallContext) {
        for field in context.decorations().fields { head.headers.set(field.name, field.value, indexed: false) }
    }

    /// A JSON answer, decorated.
    static func json(
        _ writer: any ResponseWriter, status: Int = 200, _ body: JSON, _ context: CallContext,
        headers: HTTPFields = HTTPFields()
    ) async {
        await json(writer, status: status, serialized: JSONSerializer.serialize(body), context, headers: headers)
    }

    /// A JSON answer already serialized, decorated (the compatible front doors write theirs with it too).
    package static func json(
        _ writer: any ResponseWriter, status: Int = 200, serialized body: [UInt8], _ context: CallContext,
        headers: HTTPFields = HTTPFields()
    ) async {
        var head = ResponseHead(status: status, headers: headers)
        head.headers.set("content-type", "application/json")
        decorate(&head, context)
        try? await writer.respond(consume head, body: body)
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
        _ writer: any ResponseWriter, _ error: any Error, _ context: CallContext, headers: HTTPFields = HTTPFields()
    ) async {
        let domain = error as? GatewayError ?? GatewayError(.internalError, "internal error")
        var headers = headers
        if let seconds = domain.retryAfterSeconds { headers.set("retry-after", String(seconds)) }
        await json(
            writer, status: domain.kind.httpStatus, errorBody(domain, requestID: context.requestID), context,
            headers: headers)
    }

    /// Errors the server answers before any handler (malformed HTTP, oversized head, slow head) in the same shape.
    static func protocolErrors(_ gateway: ModelGateway) -> ProtocolErrorRenderer {
        ProtocolErrorRenderer { status, message in
            let kind: GatewayError.Kind =
                switch status {
                case 413, 431: .payloadTooLarge
                case 408: .deadlineExceeded
                default: .malformedRequest
                }
            // No request head was read: a new request id, and no measurable work of the gateway's.
            let requestID = gateway.admit(ArrivingCall(header: { _ in nil }, open: true)).context.requestID
            let decorations = ResponseDecorations(requestID: requestID, overheadSeconds: 0)
            let body = JSONSerializer.serialize(errorBody(GatewayError(kind, message), requestID: requestID))
            var head = ResponseHead(status: status, headers: ["content-type": "application/json"])
            for field in decorations.fields { head.headers.set(field.name, field.value) }
            return (head, body)
        }
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
