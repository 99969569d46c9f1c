/// What the gateway reads from Ollama's whole answers: a completion (`/api/generate` or `/api/chat`), an
/// embedding (`/api/embed`), the model list (`/api/tags`) and a model's details (`/api/show`).
enum OllamaAnswer {
    /// The completion in a whole answer from `provider`; an answer that is an error throws it.
    static func completion(_ answer: JSON, provider: String) throws(GatewayError) -> ProviderCompletion {
        if let message = OllamaProvider.errorMessage(answer) {
            throw GatewayError(.providerError, "provider \(provider): \(message)")
        }
        let calls = OllamaChatFormat.toolCalls(answer["message"]?["tool_calls"], numberedFrom: 0).map {
            ToolCall(id: $0.id, name: $0.name, arguments: $0.arguments)
        }
        let thinking = answer["thinking"]?.stringValue ?? answer["message"]?["thinking"]?.stringValue ?? ""
        return ProviderCompletion(
            content: answer["response"]?.stringValue ?? answer["message"]?["content"]?.stringValue ?? "",
            tokensInput: answer["prompt_eval_count"]?.countValue ?? 0,
            tokensOutput: answer["eval_count"]?.countValue ?? 0,
            cachedInput: 0,
            finishReason: calls.isEmpty
                ? OllamaStreamTranslator.finishReason(answer["done_reason"]?.stringValue) : .toolUse,
            toolCalls: calls, reasoning: thinking.isEmpty ? [] : [ReasoningPart(text: thinking)],
            stop: StopDetails(providerReason: answer["done_reason"]?.stringValue ?? ""))
    }

    /// The vectors of an `/api/embed` answer; `inputs` is how many were asked for.
    static func embedding(_ answer: JSON, inputs: Int, provider: String) throws(GatewayError) -> ProviderEmbedding {
        guard let vectors = answer["embeddings"]?.arrayValue, vectors.count == inputs else {
            throw GatewayError(.providerError, "provider \(provider) sent no embeddings")
        }
        return ProviderEmbedding(
            embeddings: vectors.map(ProviderHTTP.vector),
            tokensInput: answer["prompt_eval_count"]?.countValue ?? 0)
    }

    /// The names an `/api/tags` answer lists.
    static func modelNames(_ answer: JSON) -> [String] {
        answer["models"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    }

    /// Model `name` as its `/api/show` answer describes it: context length and capabilities when given.
    static func model(_ name: String, shown answer: JSON) -> DiscoveredModel {
        let info = answer["model_info"]?.objectValue
        let context = info?.entries.first { $0.key.hasSuffix(".context_length") }?.value.countValue
        var capabilities: [Capability]?
        if let reported = answer["capabilities"]?.arrayValue?.compactMap(\.stringValue) {
            capabilities = Self.capabilities(reported)
        }
        return DiscoveredModel(name: name, contextLength: context, capabilities: capabilities)
    }

    /// Ollama's `/api/show` capability names as ours (every completion model can answer in JSON: `format`).
    static func capabilities(_ reported: [String]) -> [Capability] {
        guard !reported.contains("embedding") else { return [.embedding] }
        var capabilities: [Capability] = [.generate, .chat, .stream, .jsonOutput]
        if reported.contains("tools") { capabilities.append(.tools) }
        if reported.contains("vision") { capabilities.append(.vision) }
        return capabilities
    }
}
