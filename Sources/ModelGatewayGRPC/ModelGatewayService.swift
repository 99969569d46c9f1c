import Gateway
import RPC

/// modelgateway.v1.ModelGateway over gRPC: each method admits its call, decodes its message, calls
/// `ModelGateway`, and answers domain errors with their gRPC statuses (`GatewayError.grpcStatus`).
public struct ModelGatewayService: Sendable {
    public static let name = "modelgateway.v1.ModelGateway"
    let gateway: ModelGateway

    public init(gateway: ModelGateway) {
        self.gateway = gateway
    }

    /// The admission of a gRPC call: its metadata, deadline and start (`open` methods need no key).
    static func admission(_ gateway: ModelGateway, _ context: GRPCContext, open: Bool = false) -> Admission {
        gateway.admit(
            ArrivingCall(
                header: { context.requestMetadata[$0] }, deadline: context.deadline, startedAt: context.startedAt,
                open: open))
    }

    /// Admits the call and runs `body` with its context; the request id goes into the response metadata at
    /// once (an answer the deadline timer sends carries it too), the overhead when `body` returns.
    private func answering<T>(_ context: GRPCContext, _ body: (CallContext) async throws -> T) async throws -> T {
        let admission = Self.admission(gateway, context)
        let call = admission.context
        context.responseMetadata.set("x-request-id", call.requestID, indexed: false)
        defer {
            context.responseMetadata.set(
                "x-gateway-overhead-ms", call.decorations().overheadMilliseconds, indexed: false)
        }
        do {
            try admission.check()
            return try await body(call)
        } catch {
            throw GRPCStatus.answering(error)
        }
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
                defer { chunks.close() }
                do {
                    try await chunks.relay(to: GenerateChunkSink(stream))
                } catch {
                    throw GRPCStatus.answering(error)
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
                try await service.answering(context) { _ in await gateway.usageReport() }
            },
        ]
    }
}
