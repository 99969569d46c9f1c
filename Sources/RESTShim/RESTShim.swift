import Gateway
import RPC

/// The `/api/v1` endpoints and `/metrics` on the shared router, answering from the same `ModelGateway` as
/// the gRPC service.
public struct RESTShim: Sendable {
    let gateway: ModelGateway

    public init(gateway: ModelGateway) {
        self.gateway = gateway
    }

    /// Errors the server itself answers, in the API's error shape.
    public static var protocolErrors: ProtocolErrorRenderer { RESTResponses.protocolErrors }

    /// A router whose unknown paths and wrong methods answer with JSON errors (405 with `Allow`).
    public static func router() -> Router {
        Router(
            notFound: { request, writer, _ in
                await RESTResponses.error(
                    writer, GatewayError(.notFound, "no endpoint \(request.method) \(request.path)"),
                    requestID: RESTResponses.requestID(request), timing: CallTiming())
            },
            methodNotAllowed: { request, writer, _, allowed in
                await RESTResponses.error(
                    writer, GatewayError(.methodNotAllowed, "\(request.method) is not allowed on \(request.path)"),
                    requestID: RESTResponses.requestID(request), timing: CallTiming(),
                    headers: ["allow": allowed.joined(separator: ", ")])
            })
    }

    /// Wraps an endpoint: request id, authentication (unless `open`), body size check, domain errors as JSON
    /// error responses, and the gateway's own time in `x-gateway-overhead-ms`.
    private func endpoint(
        open: Bool = false,
        _ body: @escaping @Sendable (ServerRequest, CallContext, any ResponseWriter) async throws -> JSON?
    ) -> Router.Handler {
        { request, writer, _ in
            var context = CallContext(
                requestID: RESTResponses.requestID(request), traceparent: request.headers["traceparent"])
            do {
                if !open {
                    context.apiKey = try gateway.authenticator.authenticate(
                        authorization: request.headers["authorization"])
                }
                guard !request.bodyTooLarge else {
                    throw GatewayError(
                        .payloadTooLarge, "the request body exceeds \(gateway.config.maxRequestBytes) bytes")
                }
                if let answer = try await body(request, context, writer) {
                    await RESTResponses.json(writer, answer, requestID: context.requestID, timing: context.timing)
                }
            } catch {
                await RESTResponses.error(writer, error, requestID: context.requestID, timing: context.timing)
            }
        }
    }

    public func register(on router: inout Router) {
        let gateway = self.gateway
        router.add(
            "POST", "/api/v1/generate",
            endpoint { request, context, writer in
                let (generate, stream) = try GenerateRequest.fromJSON(request.body)
                guard stream else {
                    return JSONResponses.generate(try await gateway.generate(generate, context: context))
                }
                let chunks = try await gateway.streamGenerate(generate, context: context)
                await ServerSentEvents.relay(
                    chunks, to: writer, requestID: context.requestID, headers: RESTResponses.overhead(context))
                return nil
            })
        router.add(
            "POST", "/api/v1/embed",
            endpoint { request, context, _ in
                JSONResponses.embed(try await gateway.embed(try EmbedRequest.fromJSON(request.body), context: context))
            })
        router.add(
            "GET", "/api/v1/models",
            endpoint { request, _, _ in
                let provider = RESTResponses.query(request.query)["provider"]
                return JSONResponses.models(gateway.listModels(provider: provider?.isEmpty == false ? provider : nil))
            })
        router.add(
            "GET", prefix: "/api/v1/models/",
            endpoint { request, _, _ in
                let name = PercentEncoding.decode(String(request.path.dropFirst("/api/v1/models/".count)))
                return JSONResponses.model(try gateway.model(named: name))
            })
        router.add(
            "GET", "/api/v1/health",
            endpoint(open: true) { _, _, _ in
                JSONResponses.liveness(await gateway.health(detailed: false))
            })
        router.add(
            "GET", "/api/v1/health/detailed",
            endpoint(open: true) { _, _, _ in
                JSONResponses.health(await gateway.health(detailed: true))
            })
        router.add(
            "GET", "/api/v1/usage",
            endpoint { _, _, _ in
                JSONResponses.usage(gateway.usage.report(), since: gateway.startedAtRFC3339)
            })
        router.add("GET", "/metrics") { request, writer, _ in
            let timing = CallTiming()
            let body = Array(gateway.renderMetrics().utf8)
            let head = ResponseHead(
                status: 200,
                headers: [
                    "content-type": "text/plain; version=0.0.4; charset=utf-8",
                    "x-request-id": RESTResponses.requestID(request),
                    "x-gateway-overhead-ms": RESTResponses.overheadMilliseconds(timing),
                ])
            try? await writer.respond(head, body: body)
        }
    }
}
