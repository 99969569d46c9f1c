import Gateway
import Reactor

/// modelgateway.v1.ModelGateway over gRPC: each method decodes its message, calls `ModelGateway`, and
/// maps domain errors through `ErrorStatusTable`.
public struct ModelGatewayService: Sendable {
    public static let name = "modelgateway.v1.ModelGateway"
    let gateway: ModelGateway

    public init(gateway: ModelGateway) {
        self.gateway = gateway
    }

    /// The call's context after authentication: request id (the client's `x-request-id` or a new one),
    /// the client's API key, and the deadline.
    func callContext(_ context: GRPCContext) throws -> CallContext {
        let key = try gateway.authenticator.authenticate(authorization: context.requestMetadata["authorization"])
        let requestID =
            context.responseMetadata["x-request-id"] ?? RequestID.accepting(context.requestMetadata["x-request-id"])
        let deadline = context.deadline.map {
            ContinuousClock.now + .nanoseconds(Int64(clamping: MonotonicInstant.now().nanoseconds(until: $0)))
        }
        return CallContext(
            requestID: requestID, apiKey: key, deadline: deadline, traceparent: context.requestMetadata["traceparent"])
    }

    /// Runs `body` with the call's context, reports the gateway's own time with the response headers, and
    /// turns domain errors into gRPC statuses.
    private func answering<T>(_ context: GRPCContext, _ body: (CallContext) async throws -> T) async throws -> T {
        var call: CallContext?
        do {
            call = try callContext(context)
            let result = try await body(call!)
            Self.reportOverhead(call!, context)
            return result
        } catch {
            if let call { Self.reportOverhead(call, context) }
            throw ErrorStatusTable.grpcStatus(for: error)
        }
    }

    /// The gateway's own time so far, sent with the response headers.
    private static func reportOverhead(_ call: CallContext, _ context: GRPCContext) {
        context.responseMetadata.set("x-gateway-overhead-ms", format3(call.timing.overheadSeconds * 1000))
    }

    /// A number with three decimals, as headers carry milliseconds.
    public static func format3(_ value: Double) -> String {
        let thousandths = value.isFinite ? Int((min(max(value, 0), 1e12) * 1000).rounded()) : 0
        let fraction = String(thousandths % 1000)
        return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }

    public var methods: [GRPCMethod] {
        let gateway = self.gateway
        let service = self
        let prefix = "/\(Self.name)/"
        return [
            .unary(prefix + "Generate") { (request: GenerateRequest, context) in
                try await service.answering(context) { try await gateway.generate(request, context: $0) }
            },
            .serverStreaming(prefix + "StreamGenerate") {
                (request: GenerateRequest, context, stream: GRPCResponseStream<GenerateChunk>) in
                // The headers (with the overhead so far) go out with the first chunk.
                let chunks = try await service.answering(context) {
                    try await gateway.streamGenerate(request, context: $0)
                }
                do {
                    for try await chunk in chunks { try await stream.send(chunk) }
                } catch {
                    throw ErrorStatusTable.grpcStatus(for: error)
                }
            },
            .unary(prefix + "ListModels") { (request: ListModelsRequest, context) in
                try await service.answering(context) { _ in
                    gateway.listModels(provider: request.provider.isEmpty ? nil : request.provider)
                }
            },
            .unary(prefix + "GetModel") { (request: GetModelRequest, context) in
                try await service.answering(context) { _ in try gateway.model(named: request.name) }
            },
            // Health stays open when keys are configured, like the REST health endpoints.
            .unary(prefix + "Health") { (request: HealthRequest, _) in
                await gateway.health(detailed: request.detailed)
            },
            .unary(prefix + "Embed") { (request: EmbedRequest, context) in
                try await service.answering(context) { try await gateway.embed(request, context: $0) }
            },
            .unary(prefix + "GetUsage") { (_: UsageRequest, context) in
                try await service.answering(context) { _ in
                    UsageResponse(report: gateway.usage.report(), since: gateway.startedAtRFC3339)
                }
            },
        ]
    }
}
