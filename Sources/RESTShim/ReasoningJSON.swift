import Gateway

/// Reasoning, its token breakdown and stop details in REST's JSON (contract §10): the proto's JSON form,
/// with `redacted_data` as base64.
enum ReasoningJSON {
    static func config(_ json: JSONRequestReader) throws(GatewayError) -> ReasoningConfig? {
        guard let reasoning = try json.object("reasoning") else { return nil }
        return try JSONRequestReader.nested("reasoning") { () throws(GatewayError) in
            var config = ReasoningConfig(
                budgetTokens: try reasoning.integer("budget_tokens"), include: try reasoning.bool("include") ?? false)
            if let effort = try reasoning.string("effort"), !effort.isEmpty {
                guard let parsed = ReasoningConfig.Effort(rawValue: effort) else {
                    throw .invalid("effort", "must be none, low, medium or high")
                }
                config.effort = parsed
            }
            return config
        }
    }

    static func part(_ json: JSONRequestReader) throws(GatewayError) -> ReasoningPart {
        var redacted: [UInt8] = []
        if let data = try json.string("redacted_data") {
            guard let decoded = Base64.decode(data.utf8) else { throw .invalid("redacted_data", "must be base64") }
            redacted = decoded
        }
        return ReasoningPart(
            text: try json.string("text") ?? "", signature: try json.string("signature") ?? "", redactedData: redacted)
    }

    static func part(_ part: ReasoningPart) -> JSON {
        var object: JSONObject = ["text": .string(part.text)]
        if !part.signature.isEmpty { object["signature"] = .string(part.signature) }
        if !part.redactedData.isEmpty { object["redacted_data"] = .string(Base64.encode(part.redactedData)) }
        return .object(object)
    }

    /// The breakdown and stop fields a response and a final chunk carry.
    static func add(_ breakdown: TokenBreakdown, _ stop: StopDetails, to object: inout some JSONMemberSink) {
        if let reasoning = breakdown.reasoning { object.add("tokens_reasoning", .number(Double(reasoning))) }
        object.add("tokens_cache_read", .number(Double(breakdown.cacheRead)))
        object.add("tokens_cache_write", .number(Double(breakdown.cacheWrite)))
        if !stop.sequence.isEmpty { object.add("stop_sequence", .string(stop.sequence)) }
        if !stop.providerReason.isEmpty { object.add("provider_finish_reason", .string(stop.providerReason)) }
    }
}
