@testable import Gateway

/// Each provider's whole answers: an OpenAI-format completion read in one pass (checked against the tree of
/// the same bytes), Anthropic's and Ollama's completions, embeddings, model lists, error bodies, and the
/// domain error a provider's status maps to.
enum ProviderAnswersFuzz {
    static func run(_ bytes: [UInt8]) {
        let openAI = try? OpenAIAnswer.completion(bytes, provider: "f")
        if let openAI { checkCounts(openAI) }
        guard let tree = try? JSONParser.parse(bytes) else { return }
        if let openAI { compare(openAI, tree) }
        for jsonTool in [nil, "json_answer"] {
            let anthropic = AnthropicMessagesFormat.completion(tree, jsonTool: jsonTool)
            checkCounts(anthropic)
            fuzzCheck(anthropic.tokensInput >= anthropic.cachedInput + anthropic.cacheWrite, "cache beyond input")
            for call in anthropic.toolCalls {
                fuzzCheck(call.name != jsonTool, "the JSON tool's input taken as a call")
                fuzzCheck((try? JSONParser.parse(Array(call.arguments.utf8))) != nil, "arguments not JSON")
            }
        }
        if let ollama = try? OllamaAnswer.completion(tree, provider: "f") {
            checkCounts(ollama)
            fuzzCheck(ollama.toolCalls.isEmpty != (ollama.finishReason == .toolUse), "calls without tool_use")
        }
        embeddings(tree)
        _ = OpenAIAnswer.models(tree)
        _ = AnthropicMessagesFormat.models(tree)
        for name in OllamaAnswer.modelNames(tree) { _ = OllamaAnswer.model(name, shown: tree) }
        errors(tree, bytes)
    }

    static func checkCounts(_ completion: ProviderCompletion) {
        for count in [completion.tokensOutput, completion.cachedInput, completion.cacheWrite] {
            fuzzCheck(count >= 0 && count <= JSON.largestCount, "count out of range")
        }
        fuzzCheck(completion.tokensInput >= 0 && completion.tokensInput <= 3 * JSON.largestCount, "input out of range")
    }

    /// The one-pass reader agrees with the tree: content, counts, finish and the number of calls.
    static func compare(_ read: ProviderCompletion, _ tree: JSON) {
        let choice = tree["choices"]?.arrayValue?.first
        let message = choice?["message"]
        let content = message?["content"]?.stringValue ?? choice?["text"]?.stringValue ?? ""
        fuzzCheck(read.content == content, "content differs from the tree's")
        let usage = tree["usage"]
        fuzzCheck(read.tokensInput == usage?["prompt_tokens"]?.countValue ?? 0, "prompt tokens differ")
        fuzzCheck(read.tokensOutput == usage?["completion_tokens"]?.countValue ?? 0, "completion tokens differ")
        fuzzCheck(
            read.cachedInput == usage?["prompt_tokens_details"]?["cached_tokens"]?.countValue ?? 0,
            "cached tokens differ")
        fuzzCheck(read.stop.providerReason == choice?["finish_reason"]?.stringValue ?? "", "finish differs")
        fuzzCheck(read.toolCalls.count == message?["tool_calls"]?.arrayValue?.count ?? 0, "call count differs")
    }

    /// Embeddings asked for as many as the answer holds: one vector each, or an error.
    static func embeddings(_ tree: JSON) {
        let openAIInputs = tree["data"]?.arrayValue?.count ?? 1
        if let embedding = try? OpenAIAnswer.embedding(tree, inputs: openAIInputs, provider: "f") {
            fuzzCheck(embedding.embeddings.count == openAIInputs, "vectors not one per input")
            fuzzCheck(embedding.tokensInput >= 0 && embedding.tokensInput <= JSON.largestCount, "count out of range")
        }
        let ollamaInputs = tree["embeddings"]?.arrayValue?.count ?? 1
        if let embedding = try? OllamaAnswer.embedding(tree, inputs: ollamaInputs, provider: "f") {
            fuzzCheck(embedding.embeddings.count == ollamaInputs, "vectors not one per input")
        }
    }

    /// Error bodies and statuses: a rate limit's wait is always within an hour, whatever `retry-after` says.
    static func errors(_ tree: JSON, _ bytes: [UInt8]) {
        let detail =
            OpenAIProvider.errorMessage(tree) ?? AnthropicProvider.errorMessage(tree)
            ?? OllamaProvider.errorMessage(tree)
        let statuses = [429, 401, 403, 400, 413, 422, 500, 503]
        let status = statuses[Int(bytes.first ?? 0) % statuses.count]
        let retryAfter = String(decoding: bytes.prefix(24), as: UTF8.self)
        let error = ProviderHTTP.error(status: status, detail: detail ?? "", provider: "f", retryAfter: retryAfter)
        if error.kind == .rateLimited {
            fuzzCheck((0...3600).contains(error.retryAfterSeconds ?? -1), "retry-after out of range")
        }
    }
}
