import CGatewayProto
import Gateway
import RPC

// protobuf-c glue for the generation messages of modelgateway.v1 (proto/modelgateway/v1/gateway.proto).

extension GenerateRequest: GRPCRequestMessage {
    public init(grpcPayload: [UInt8]) throws {
        self = try protobufUnpack(
            grpcPayload, unpack: { modelgateway__v1__generate_request__unpack(nil, $0, $1) },
            free: { modelgateway__v1__generate_request__free_unpacked($0, nil) }
        ) { c in
            var metadata: [String: String] = [:]
            for entry in ProtobufCRead.messages(c.n_metadata, c.metadata, { ($0.key, $0.value) }) {
                metadata[ProtobufCRead.string(entry.0)] = ProtobufCRead.string(entry.1)
            }
            return GenerateRequest(
                model: ProtobufCRead.string(c.model), prompt: ProtobufCRead.string(c.prompt),
                systemPrompt: ProtobufCRead.string(c.system_prompt),
                temperature: c._temperature_case == MODELGATEWAY__V1__GENERATE_REQUEST___TEMPERATURE_TEMPERATURE
                    ? Double(c.temperature) : nil,
                maxTokens: c._max_tokens_case == MODELGATEWAY__V1__GENERATE_REQUEST___MAX_TOKENS_MAX_TOKENS
                    ? Int(c.max_tokens) : nil,
                stopSequences: ProtobufCRead.strings(c.n_stop_sequences, c.stop_sequences),
                metadata: metadata,
                topP: c._top_p_case == MODELGATEWAY__V1__GENERATE_REQUEST___TOP_P_TOP_P ? Double(c.top_p) : nil,
                messages: ProtobufCRead.messages(c.n_messages, c.messages, ToolCodec.message),
                tools: try ToolCodec.tools(c.n_tools, c.tools), toolChoice: try ToolCodec.toolChoice(c.tool_choice),
                responseFormat: try ToolCodec.responseFormat(c.response_format),
                reasoning: try ReasoningCodec.config(c.reasoning),
                seed: c._seed_case == MODELGATEWAY__V1__GENERATE_REQUEST___SEED_SEED ? c.seed : nil,
                topK: c._top_k_case == MODELGATEWAY__V1__GENERATE_REQUEST___TOP_K_TOP_K ? Int(c.top_k) : nil)
        }
    }
}

extension GenerateResponse: GRPCResponseMessage {
    public func grpcPayload() throws -> [UInt8] {
        let arena = ProtobufCArena()
        let c = arena.message(modelgateway__v1__generate_response__init) {
            (c: inout Modelgateway__V1__GenerateResponse) in
            c.id = arena.string(id)
            c.model = arena.string(model)
            c.provider = arena.string(provider)
            c.content = arena.string(content)
            c.tokens_input = Int32(clamping: tokensInput)
            c.tokens_output = Int32(clamping: tokensOutput)
            c.latency_ms = latencyMs
            c.finish_reason = arena.string(finishReason.rawValue)
            (c.n_metadata, c.metadata) = metadataEntries(
                metadata, arena, modelgateway__v1__generate_response__metadata_entry__init)
            c.cost_usd = costUSD
            c.requested_model = arena.string(requestedModel ?? "")
            (c.n_tool_calls, c.tool_calls) = ToolCodec.toolCalls(toolCalls, arena)
            if !reasoning.isEmpty {  // see `metadataEntries`
                let parts = reasoning.map { Optional(ReasoningCodec.message($0, arena)) }
                (c.n_reasoning, c.reasoning) = (parts.count, arena.array(parts))
            }
            c.fill(breakdown, stop, arena)
        }
        return protobufPack(
            c, size: modelgateway__v1__generate_response__get_packed_size,
            pack: modelgateway__v1__generate_response__pack)
    }
}

extension GenerateChunk: GRPCResponseMessage {
    public func grpcPayload() throws -> [UInt8] {
        let arena = ProtobufCArena()
        let c = arena.message(modelgateway__v1__generate_chunk__init) { (c: inout Modelgateway__V1__GenerateChunk) in
            c.id = arena.string(id)
            c.model = arena.string(model)
            c.provider = arena.string(provider)
            c.content = arena.string(content)
            c.done = done ? 1 : 0
            c.finish_reason = arena.string(finishReason?.rawValue ?? "")
            c.tokens_input = Int32(clamping: tokensInput)
            c.tokens_output = Int32(clamping: tokensOutput)
            c.latency_ms = latencyMs
            c.cost_usd = costUSD
            c.requested_model = arena.string(requestedModel ?? "")
            (c.n_metadata, c.metadata) = metadataEntries(
                metadata, arena, modelgateway__v1__generate_chunk__metadata_entry__init)
            if !toolCalls.isEmpty { (c.n_tool_calls, c.tool_calls) = ToolCodec.toolCallDeltas(toolCalls, arena) }
            if let reasoning { c.reasoning = ReasoningCodec.message(reasoning, arena) }
            if done { c.fill(breakdown, stop, arena) }
        }
        return protobufPack(
            c, size: modelgateway__v1__generate_chunk__get_packed_size, pack: modelgateway__v1__generate_chunk__pack)
    }
}

/// The generated response and chunk structs, which carry the same token breakdown and stop fields.
protocol BreakdownFields {
    var tokens_reasoning: Int32 { get set }
    var tokens_cache_read: Int32 { get set }
    var tokens_cache_write: Int32 { get set }
    var stop_sequence: UnsafeMutablePointer<CChar>! { get set }
    var provider_finish_reason: UnsafeMutablePointer<CChar>! { get set }
    /// Marks the optional `tokens_reasoning` as set.
    mutating func setReasoningPresent()
}

extension BreakdownFields {
    mutating func fill(_ breakdown: TokenBreakdown, _ stop: StopDetails, _ arena: ProtobufCArena) {
        if let tokens = breakdown.reasoning {
            setReasoningPresent()
            tokens_reasoning = Int32(clamping: tokens)
        }
        tokens_cache_read = Int32(clamping: breakdown.cacheRead)
        tokens_cache_write = Int32(clamping: breakdown.cacheWrite)
        stop_sequence = arena.string(stop.sequence)
        provider_finish_reason = arena.string(stop.providerReason)
    }
}

extension Modelgateway__V1__GenerateResponse: BreakdownFields {
    mutating func setReasoningPresent() {
        _tokens_reasoning_case = MODELGATEWAY__V1__GENERATE_RESPONSE___TOKENS_REASONING_TOKENS_REASONING
    }
}

extension Modelgateway__V1__GenerateChunk: BreakdownFields {
    mutating func setReasoningPresent() {
        _tokens_reasoning_case = MODELGATEWAY__V1__GENERATE_CHUNK___TOKENS_REASONING_TOKENS_REASONING
    }
}

/// A `map<string, string>` as protobuf-c's array of entry pointers (every map entry struct has key and value).
func metadataEntries<Entry: MapEntry>(
    _ map: [String: String], _ arena: ProtobufCArena, _ initialize: (UnsafeMutablePointer<Entry>) -> Void
) -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>?) {
    // Empty (the usual case) answered here: `ProtobufCArena.array` is called unspecialized from this module
    // and looks up the metadata of `[T]` before it sees the array is empty (~1.1 k instructions a call).
    guard !map.isEmpty else { return (0, nil) }
    let entries = map.sorted { $0.key < $1.key }.map { key, value in
        Optional(
            arena.message(initialize) { (entry: inout Entry) in
                entry.key = arena.string(key)
                entry.value = arena.string(value)
            })
    }
    return (entries.count, arena.array(entries))
}

/// The generated map-entry structs, which all have `key` and `value` strings.
protocol MapEntry {
    var key: UnsafeMutablePointer<CChar>! { get set }
    var value: UnsafeMutablePointer<CChar>! { get set }
}

extension Modelgateway__V1__GenerateResponse__MetadataEntry: MapEntry {}
extension Modelgateway__V1__GenerateChunk__MetadataEntry: MapEntry {}
extension Modelgateway__V1__ListModelsResponse__AliasesEntry: MapEntry {}
