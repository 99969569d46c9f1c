import CGatewayProto
import Gateway
import RPC

// protobuf-c glue for the model, health, embedding and usage messages of modelgateway.v1.

/// modelgateway.v1.ListModelsRequest
struct ListModelsRequest: GRPCRequestMessage {
    var provider: String

    init(grpcPayload: [UInt8]) throws {
        provider = try protobufUnpack(
            grpcPayload, unpack: { modelgateway__v1__list_models_request__unpack(nil, $0, $1) },
            free: { modelgateway__v1__list_models_request__free_unpacked($0, nil) }
        ) { ProtobufCRead.string($0.provider) }
    }
}

/// modelgateway.v1.GetModelRequest
struct GetModelRequest: GRPCRequestMessage {
    var name: String

    init(grpcPayload: [UInt8]) throws {
        name = try protobufUnpack(
            grpcPayload, unpack: { modelgateway__v1__get_model_request__unpack(nil, $0, $1) },
            free: { modelgateway__v1__get_model_request__free_unpacked($0, nil) }
        ) { ProtobufCRead.string($0.name) }
    }
}

/// modelgateway.v1.HealthRequest
struct HealthRequest: GRPCRequestMessage {
    var detailed: Bool

    init(grpcPayload: [UInt8]) throws {
        detailed = try protobufUnpack(
            grpcPayload, unpack: { modelgateway__v1__health_request__unpack(nil, $0, $1) },
            free: { modelgateway__v1__health_request__free_unpacked($0, nil) }
        ) { $0.detailed != 0 }
    }
}

/// modelgateway.v1.UsageRequest
struct UsageRequest: GRPCRequestMessage {
    init(grpcPayload: [UInt8]) throws {
        try protobufUnpack(
            grpcPayload, unpack: { modelgateway__v1__usage_request__unpack(nil, $0, $1) },
            free: { modelgateway__v1__usage_request__free_unpacked($0, nil) }, read: { _ in })
    }
}

func modelInfoMessage(_ info: ModelInfo, _ arena: ProtobufCArena) -> UnsafeMutablePointer<Modelgateway__V1__ModelInfo> {
    arena.message(modelgateway__v1__model_info__init) { (c: inout Modelgateway__V1__ModelInfo) in
        c.name = arena.string(info.name)
        c.provider = arena.string(info.provider)
        (c.n_providers, c.providers) = (info.providers.count, arena.strings(info.providers))
        c.status = arena.string(info.status.rawValue)
        c.tier = arena.string(info.tier?.rawValue ?? "")
        (c.n_aliases, c.aliases) = (info.aliases.count, arena.strings(info.aliases))
        let capabilities = info.capabilities.map(\.rawValue)
        (c.n_capabilities, c.capabilities) = (capabilities.count, arena.strings(capabilities))
        c.upstream_model = arena.string(info.upstreamModel)
        c.context_length = Int32(clamping: info.contextLength ?? 0)
        c.pricing = arena.message(modelgateway__v1__pricing__init) { (p: inout Modelgateway__V1__Pricing) in
            p.input_per_mtok = info.pricing.inputPerMtok
            p.output_per_mtok = info.pricing.outputPerMtok
            p.cached_input_per_mtok = info.pricing.cachedInputPerMtok ?? 0
            p.cache_write_per_mtok = info.pricing.cacheWritePerMtok ?? 0
        }
    }
}

extension ModelInfo: GRPCResponseMessage {
    public func grpcPayload() throws -> [UInt8] {
        let arena = ProtobufCArena()
        return protobufPack(
            modelInfoMessage(self, arena), size: modelgateway__v1__model_info__get_packed_size,
            pack: modelgateway__v1__model_info__pack)
    }
}

extension ListModelsResponse: GRPCResponseMessage {
    public func grpcPayload() throws -> [UInt8] {
        let arena = ProtobufCArena()
        let c = arena.message(modelgateway__v1__list_models_response__init) {
            (c: inout Modelgateway__V1__ListModelsResponse) in
            let infos = models.map { Optional(modelInfoMessage($0, arena)) }
            (c.n_models, c.models) = (infos.count, arena.array(infos))
            (c.n_aliases, c.aliases) = metadataEntries(
                aliases, arena, modelgateway__v1__list_models_response__aliases_entry__init)
        }
        return protobufPack(
            c, size: modelgateway__v1__list_models_response__get_packed_size,
            pack: modelgateway__v1__list_models_response__pack)
    }
}

extension HealthResponse: GRPCResponseMessage {
    public func grpcPayload() throws -> [UInt8] {
        let arena = ProtobufCArena()
        let c = arena.message(modelgateway__v1__health_response__init) { (c: inout Modelgateway__V1__HealthResponse) in
            c.status = arena.string(status.rawValue)
            c.version = arena.string(version)
            c.uptime_s = uptimeS
            let entries = providers.map { provider in
                Optional(
                    arena.message(modelgateway__v1__provider_health__init) {
                        (p: inout Modelgateway__V1__ProviderHealth) in
                        p.name = arena.string(provider.name)
                        p.type = arena.string(provider.type)
                        p.endpoint = arena.string(provider.endpoint)
                        p.status = arena.string(provider.status.rawValue)
                        p.latency_ms = provider.latencyMs
                        p.error = arena.string(provider.error)
                    })
            }
            (c.n_providers, c.providers) = (entries.count, arena.array(entries))
        }
        return protobufPack(
            c, size: modelgateway__v1__health_response__get_packed_size, pack: modelgateway__v1__health_response__pack)
    }
}

extension EmbedRequest: GRPCRequestMessage {
    public init(grpcPayload: [UInt8]) throws {
        self = try protobufUnpack(
            grpcPayload, unpack: { modelgateway__v1__embed_request__unpack(nil, $0, $1) },
            free: { modelgateway__v1__embed_request__free_unpacked($0, nil) }
        ) { EmbedRequest(model: ProtobufCRead.string($0.model), input: ProtobufCRead.strings($0.n_input, $0.input)) }
    }
}

extension EmbedResponse: GRPCResponseMessage {
    public func grpcPayload() throws -> [UInt8] {
        let arena = ProtobufCArena()
        let c = arena.message(modelgateway__v1__embed_response__init) { (c: inout Modelgateway__V1__EmbedResponse) in
            c.model = arena.string(model)
            c.provider = arena.string(provider)
            let vectors = embeddings.map { vector in
                Optional(
                    arena.message(modelgateway__v1__embedding__init) { (e: inout Modelgateway__V1__Embedding) in
                        (e.n_values, e.values) = (vector.count, arena.array(vector))
                    })
            }
            (c.n_embeddings, c.embeddings) = (vectors.count, arena.array(vectors))
            c.tokens_input = Int32(clamping: tokensInput)
            c.latency_ms = latencyMs
        }
        return protobufPack(
            c, size: modelgateway__v1__embed_response__get_packed_size, pack: modelgateway__v1__embed_response__pack)
    }
}

/// modelgateway.v1.UsageResponse, from the usage ledger's report.
extension UsageResponse: GRPCResponseMessage {
    public func grpcPayload() throws -> [UInt8] {
        let arena = ProtobufCArena()
        func totals(_ name: String, _ row: UsageLedger.Totals) -> UnsafeMutablePointer<Modelgateway__V1__UsageTotals> {
            arena.message(modelgateway__v1__usage_totals__init) { (t: inout Modelgateway__V1__UsageTotals) in
                t.name = arena.string(name)
                t.tokens_input = Int64(row.tokensInput)
                t.tokens_output = Int64(row.tokensOutput)
                t.cost_usd = row.costUSD
                t.requests = Int64(row.requests)
                t.tokens_cache_read = Int64(row.tokensCacheRead)
                t.tokens_cache_write = Int64(row.tokensCacheWrite)
                t.tokens_reasoning = Int64(row.tokensReasoning)
            }
        }
        func rows(_ list: [(String, UsageLedger.Totals)]) -> (
            Int, UnsafeMutablePointer<UnsafeMutablePointer<Modelgateway__V1__UsageTotals>?>?
        ) {
            (list.count, arena.array(list.map { Optional(totals($0.0, $0.1)) }))
        }
        let c = arena.message(modelgateway__v1__usage_response__init) { (c: inout Modelgateway__V1__UsageResponse) in
            c.since = arena.string(since)
            c.totals = totals("", report.totals)
            (c.n_by_model, c.by_model) = rows(report.byModel)
            (c.n_by_provider, c.by_provider) = rows(report.byProvider)
            (c.n_by_key, c.by_key) = rows(report.byKey)
            if let replica { c.replica = totals("replica", replica) }
        }
        return protobufPack(
            c, size: modelgateway__v1__usage_response__get_packed_size, pack: modelgateway__v1__usage_response__pack)
    }
}
