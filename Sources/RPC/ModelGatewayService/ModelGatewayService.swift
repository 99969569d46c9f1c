import Gateway

/// modelgateway.v1.ModelGateway over gRPC: each method decodes its message, calls `ModelGateway`, and
/// maps domain errors through `ErrorStatusTable`.
public struct ModelGatewayService: Sendable {
    public static let name = "modelgateway.v1.ModelGateway"
    let gateway: ModelGateway

    public init(gateway: ModelGateway) {
        self.gateway = gateway
    }

    /// The call's context: request id (the client's `x-request-id` or a new one), API key, deadline.
    static func callContext(_ context: GRPCContext) -> CallContext {
        let requestID =
            context.responseMetadata["x-request-id"] ?? context.requestMetadata["x-request-id"] ?? RequestID.uuid()
        let key = context.requestMetadata["authorization"].flatMap {
            $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil
        }
        let deadline = context.deadline.map {
            ContinuousClock.now + .nanoseconds(Int64(MonotonicInstant.now().nanoseconds(until: $0)))
        }
        return CallContext(requestID: requestID, apiKey: key, deadline: deadline)
    }

    /// Runs `body`, turning domain errors into gRPC statuses.
    private static func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw ErrorStatusTable.grpcStatus(for: error)
        }
    }

    public var methods: [GRPCMethod] {
        let gateway = self.gateway
        let prefix = "/\(Self.name)/"
        return [
            .unary(prefix + "Generate") { (request: GenerateRequest, context) in
                try await Self.mapped { try await gateway.generate(request, context: Self.callContext(context)) }
            },
            .serverStreaming(prefix + "StreamGenerate") {
                (request: GenerateRequest, context, stream: GRPCResponseStream<GenerateChunk>) in
                try await Self.mapped {
                    for try await chunk in try await gateway.streamGenerate(request, context: Self.callContext(context))
                    {
                        try await stream.send(chunk)
                    }
                }
            },
            .unary(prefix + "ListModels") { (request: ListModelsRequest, _) in
                gateway.listModels(provider: request.provider.isEmpty ? nil : request.provider)
            },
            .unary(prefix + "GetModel") { (request: GetModelRequest, _) in
                try await Self.mapped { try gateway.model(named: request.name) }
            },
            .unary(prefix + "Health") { (request: HealthRequest, _) in
                await gateway.health(detailed: request.detailed)
            },
            .unary(prefix + "Embed") { (request: EmbedRequest, context) in
                try await Self.mapped { try await gateway.embed(request, context: Self.callContext(context)) }
            },
            .unary(prefix + "GetUsage") { (_: UsageRequest, _) in
                UsageResponse(report: gateway.usage.report(), since: gateway.startedAtRFC3339)
            },
        ]
    }
}
