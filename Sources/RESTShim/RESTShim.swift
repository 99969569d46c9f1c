import Gateway
import RPC

/// The `/api/v1` endpoints and `/metrics` on the shared router, answering from the same `ModelGateway` as
/// the gRPC service.
public struct RESTShim: Sendable {
    let gateway: ModelGateway

    public init(gateway: ModelGateway) {
        self.gateway = gateway
    }

    /// Errors the server itself answers (before any handler), in the API's error shape.
    public var protocolErrors: ProtocolErrorRenderer { RESTResponses.protocolErrors(gateway) }

    /// The admission of an HTTP request (`open` endpoints need no key).
    private func admission(_ request: ServerRequest, open: Bool) -> Admission {
        gateway.admit(
            ArrivingCall(header: { request.headers[$0] }, open: open, bodyTooLarge: request.bodyTooLarge))
    }

    /// A router with every endpoint, whose unknown paths and wrong methods answer with JSON errors (405
    /// with `Allow`).
    public func router(_ more: (inout Router) -> Void = { _ in }) -> Router {
        var router = Router(
            notFound: { request, writer, _ in
                await RESTResponses.error(
                    writer, GatewayError(.notFound, "no endpoint \(request.method) \(request.path)"),
                    admission(request, open: true).context)
            },
            methodNotAllowed: { request, writer, _, allowed in
                await RESTResponses.error(
                    writer, GatewayError(.methodNotAllowed, "\(request.method) is not allowed on \(request.path)"),
                    admission(request, open: true).context, headers: ["allow": allowed.joined(separator: ", ")])
            })
        register(on: &router)
        more(&router)
        return router
    }

    /// Wraps an endpoint: admission (authentication unless `open`, request id, body size), domain errors as
    /// JSON error responses, and the decorations (`x-request-id`, `x-gateway-overhead-ms`) on every answer.
    /// (The handlers here capture `self` without a capture list: an async closure with one runs as
    /// @concurrent in Swift 6.3, a hop to the global executor and back at every await.)
    private func endpoint(
        open: Bool = false,
        _ body: @escaping @Sendable (ServerRequest, CallContext, any ResponseWriter) async throws -> JSON?
    ) -> Router.Handler {
        { request, writer, _ in
            let admission = admission(request, open: open)
            do {
                try admission.check()
                if let answer = try await body(request, admission.context, writer) {
                    await RESTResponses.json(writer, answer, admission.context)
                }
            } catch {
                await RESTResponses.error(writer, error, admission.context)
            }
        }
    }

    private func register(on router: inout Router) {
        let gateway = self.gateway
        router.add(
            "POST", "/api/v1/generate",
            endpoint { request, context, writer in
                let (generate, stream) = try GenerateRequest.fromJSON(request.body)
                guard stream else {
                    let answer = JSONResponses.generate(try await gateway.generate(generate, context: context))
                    await RESTResponses.json(writer, serialized: answer, context)
                    return nil
                }
                let chunks = try await gateway.streamGenerate(generate, context: context)
                await ServerSentEvents.relay(chunks, to: writer, context)
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
                JSONResponses.usage(await gateway.usageReport())
            })
        router.add("GET", "/metrics") { request, writer, _ in
            let context = admission(request, open: true).context
            let body = Array(gateway.renderMetrics().utf8)
            var head = ResponseHead(
                status: 200, headers: ["content-type": "text/plain; version=0.0.4; charset=utf-8"])
            RESTResponses.decorate(&head, context)
            try? await writer.respond(consume head, body: body)
        }
    }
}
