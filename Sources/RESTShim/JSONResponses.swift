import Gateway

/// The Gateway's answers as JSON, with the proto's snake_case field names.
enum JSONResponses {
    static func stringMap(_ map: [String: String]) -> JSON {
        var object = JSONObject()
        for key in map.keys.sorted() { object[key] = .string(map[key]!) }
        return .object(object)
    }

    /// Written straight into bytes (`JSONObjectWriter`): it is the answer of every unary call.
    static func generate(_ r: GenerateResponse) -> [UInt8] {
        var object = JSONObjectWriter()
        object.add("id", r.id)
        object.add("model", r.model)
        object.add("provider", r.provider)
        object.add("content", r.content)
        object.add("tokens_input", r.tokensInput)
        object.add("tokens_output", r.tokensOutput)
        object.add("latency_ms", thousandths: r.latencyMs)
        object.add("finish_reason", r.finishReason.rawValue)
        object.add("metadata", stringMap(r.metadata))
        object.add("cost_usd", r.costUSD)
        if let requested = r.requestedModel { object.add("requested_model", requested) }
        if !r.toolCalls.isEmpty { object.add("tool_calls", ToolJSON.toolCalls(r.toolCalls)) }
        if !r.reasoning.isEmpty { object.add("reasoning", .array(r.reasoning.map(ReasoningJSON.part))) }
        ReasoningJSON.add(r.breakdown, r.stop, to: &object)
        return object.finish()
    }

    static func chunk(_ c: GenerateChunk) -> JSON {
        var object: JSONObject = [
            "id": .string(c.id), "model": .string(c.model), "provider": .string(c.provider),
            "content": .string(c.content),
            "done": .bool(c.done),
        ]
        if !c.toolCalls.isEmpty { object["tool_calls"] = ToolJSON.toolCallDeltas(c.toolCalls) }
        if let reasoning = c.reasoning { object["reasoning"] = ReasoningJSON.part(reasoning) }
        if c.done {
            object["finish_reason"] = .string(c.finishReason?.rawValue ?? FinishReason.stop.rawValue)
            object["tokens_input"] = .number(Double(c.tokensInput))
            object["tokens_output"] = .number(Double(c.tokensOutput))
            object["latency_ms"] = .thousandths(c.latencyMs)
            object["cost_usd"] = .number(c.costUSD)
            object["metadata"] = stringMap(c.metadata)
            if let requested = c.requestedModel { object["requested_model"] = .string(requested) }
            ReasoningJSON.add(c.breakdown, c.stop, to: &object)
        }
        return .object(object)
    }

    static func model(_ m: ModelInfo) -> JSON {
        var pricing: JSONObject = [
            "input_per_mtok": .number(m.pricing.inputPerMtok), "output_per_mtok": .number(m.pricing.outputPerMtok),
        ]
        if let cached = m.pricing.cachedInputPerMtok { pricing["cached_input_per_mtok"] = .number(cached) }
        if let written = m.pricing.cacheWritePerMtok { pricing["cache_write_per_mtok"] = .number(written) }
        return [
            "name": .string(m.name), "provider": .string(m.provider), "providers": .array(m.providers.map(JSON.string)),
            "status": .string(m.status.rawValue), "tier": m.tier.map { .string($0.rawValue) } ?? .null,
            "aliases": .array(m.aliases.map(JSON.string)),
            "capabilities": .array(m.capabilities.map { .string($0.rawValue) }),
            "upstream_model": .string(m.upstreamModel),
            "context_length": m.contextLength.map { .number(Double($0)) } ?? .null,
            "pricing": .object(pricing),
        ]
    }

    static func models(_ list: ListModelsResponse) -> JSON {
        ["models": .array(list.models.map(model)), "aliases": stringMap(list.aliases)]
    }

    static func liveness(_ h: HealthResponse) -> JSON {
        ["status": .string(h.status.rawValue), "version": .string(h.version), "uptime_s": .number(h.uptimeS)]
    }

    static func health(_ h: HealthResponse) -> JSON {
        var object = liveness(h).objectValue!
        object["providers"] = .array(
            h.providers.map { p in
                [
                    "name": .string(p.name), "type": .string(p.type), "endpoint": .string(p.endpoint),
                    "status": .string(p.status.rawValue),
                    "latency_ms": .number(p.latencyMs), "error": .string(p.error),
                ]
            })
        return .object(object)
    }

    static func embed(_ e: EmbedResponse) -> JSON {
        [
            "model": .string(e.model), "provider": .string(e.provider),
            "embeddings": .array(e.embeddings.map { ["values": .array($0.map { .number(Double($0)) })] }),
            "tokens_input": .number(Double(e.tokensInput)), "latency_ms": .number(e.latencyMs),
        ]
    }

    static func usage(_ usage: UsageResponse) -> JSON {
        let report = usage.report
        func totals(_ t: UsageLedger.Totals, name: String? = nil) -> JSON {
            var object: JSONObject = [
                "tokens_input": .number(Double(t.tokensInput)), "tokens_output": .number(Double(t.tokensOutput)),
                "cost_usd": .number(t.costUSD), "requests": .number(Double(t.requests)),
                "tokens_cache_read": .number(Double(t.tokensCacheRead)),
                "tokens_cache_write": .number(Double(t.tokensCacheWrite)),
                "tokens_reasoning": .number(Double(t.tokensReasoning)),
            ]
            if let name { object["name"] = .string(name) }
            return .object(object)
        }
        var object: JSONObject = [
            "since": .string(usage.since), "totals": totals(report.totals),
            "by_model": .array(report.byModel.map { totals($0.1, name: $0.0) }),
            "by_provider": .array(report.byProvider.map { totals($0.1, name: $0.0) }),
            "by_key": .array(report.byKey.map { totals($0.1, name: $0.0) }),
        ]
        if let replica = usage.replica { object["replica"] = totals(replica) }
        return .object(object)
    }
}
