import Gateway
import RESTShim
import RPC
import Reactor

/// What every compatible API's endpoints share: the admission step (as that API's clients authenticate),
/// answers with the decorations, and errors in that API's own error shape with the contract's statuses.
struct CompatibleEndpoint: Sendable {
    let gateway: ModelGateway
    let api: FrontDoorAPI
    /// The API's error body for a domain error.
    let errorBody: @Sendable (GatewayError) -> JSON

    func admission(_ request: ServerRequest, open: Bool = false) -> Admission {
        gateway.admit(
            ArrivingCall(
                header: { request.headers[$0] }, open: open, bodyTooLarge: request.bodyTooLarge, api: api,
                acceptsXAPIKey: api == .anthropic))
    }

    /// Wraps an endpoint: admission, its JSON answer (nil when it answered itself, as streams do), and any
    /// error in the API's shape.
    func handler(
        open: Bool = false,
        _ body: @escaping @Sendable (ServerRequest, CallContext, any ResponseWriter) async throws -> JSON?
    ) -> Router.Handler {
        { request, writer, _ in
            let admission = admission(request, open: open)
            do {
                try admission.check()
                if let answer = try await body(request, admission.context, writer) {
                    await json(writer, answer, admission.context)
                }
            } catch {
                await self.error(writer, error, admission.context)
            }
        }
    }

    func json(
        _ writer: any ResponseWriter, status: Int = 200, _ body: JSON, _ context: CallContext,
        headers: HTTPFields = HTTPFields()
    ) async {
        await json(writer, status: status, serialized: JSONSerializer.serialize(body), context, headers: headers)
    }

    /// A JSON answer already serialized.
    func json(
        _ writer: any ResponseWriter, status: Int = 200, serialized body: [UInt8], _ context: CallContext,
        headers: HTTPFields = HTTPFields()
    ) async {
        await RESTResponses.json(writer, status: status, serialized: body, context, headers: headers)
    }

    func error(_ writer: any ResponseWriter, _ error: any Error, _ context: CallContext) async {
        let domain = Self.domain(error)
        var headers = HTTPFields()
        if let seconds = domain.retryAfterSeconds { headers.set("retry-after", String(seconds)) }
        await json(writer, status: domain.kind.httpStatus, errorBody(domain), context, headers: headers)
    }

    static func domain(_ error: any Error) -> GatewayError {
        error as? GatewayError ?? GatewayError(.internalError, "internal error")
    }

    /// The head of a `text/event-stream` answer, decorated.
    static func eventStreamHead(_ context: CallContext) -> ResponseHead {
        var head = ResponseHead(
            status: 200, headers: ["content-type": "text/event-stream", "cache-control": "no-cache"])
        RESTResponses.decorate(&head, context)
        return head
    }

    /// One server-sent event: an optional `event:` line and the JSON `data:` line.
    static func event(_ json: JSON, name: String? = nil, into out: inout [UInt8]) {
        if let name {
            out.appendBytes("event: ")
            out.appendUTF8(name)
            out.append(0x0A)
        }
        out.appendBytes("data: ")
        JSONSerializer.write(json, into: &out)
        out.appendBytes("\n\n")
    }
}
