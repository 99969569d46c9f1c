/// The contract's ranges and required fields, checked before any provider is called.
enum RequestValidation {
    /// Compared, not hashed: four short literals (a set lookup hashed the role, ~300 instructions a message).
    static func isChatRole(_ role: String) -> Bool {
        role == "user" || role == "assistant" || role == "system" || role == "tool"
    }

    /// Checks `request`, and completes what can be read off its data (an image's media type).
    static func validate(_ request: inout GenerateRequest, maxImageBytes: Int) throws(GatewayError) {
        try validate(request)
        try ToolValidation.validate(request)
        // By index: each message is read where it is (an enumeration copied every one of them).
        for index in request.messages.indices {
            try ToolValidation.validate(request.messages[index], field: "messages[\(index)]")
            for partIndex in request.messages[index].parts.indices {
                guard case .image(var image) = request.messages[index].parts[partIndex] else { continue }
                try ImageValidation.validate(
                    &image, field: "messages[\(index)].parts[\(partIndex)].image", maxBytes: maxImageBytes)
                request.messages[index].parts[partIndex] = .image(image)
            }
        }
    }

    static func validate(_ request: GenerateRequest) throws(GatewayError) {
        guard !request.model.isEmpty else { throw .invalid("model", "is required") }
        guard !request.prompt.isEmpty || !request.messages.isEmpty else {
            throw .invalid("prompt", "either prompt or messages is required")
        }
        if let temperature = request.temperature, !(0...2).contains(temperature) {
            throw .invalid("temperature", "must be between 0.0 and 2.0")
        }
        if let maxTokens = request.maxTokens, !(1...100_000).contains(maxTokens) {
            throw .invalid("max_tokens", "must be between 1 and 100000")
        }
        if let topP = request.topP, !(0...1).contains(topP) {
            throw .invalid("top_p", "must be between 0.0 and 1.0")
        }
        guard request.stopSequences.count <= 16 else { throw .invalid("stop_sequences", "at most 16 are allowed") }
        if let topK = request.topK, !(1...1000).contains(topK) { throw .invalid("top_k", "must be between 1 and 1000") }
        if let budget = request.reasoning?.budgetTokens, !(1024..<request.effectiveMaxTokens).contains(budget) {
            throw .invalid(
                "reasoning.budget_tokens", "must be at least 1024 and below max_tokens (\(request.effectiveMaxTokens))")
        }
        for index in request.messages.indices where !isChatRole(request.messages[index].role) {
            throw .invalid("messages[\(index)].role", "must be system, user, assistant or tool")
        }
    }

    static func validate(_ request: EmbedRequest) throws(GatewayError) {
        guard !request.model.isEmpty else { throw .invalid("model", "is required") }
        guard !request.input.isEmpty else { throw .invalid("input", "at least one text is required") }
        guard request.input.count <= 2048 else { throw .invalid("input", "at most 2048 texts are allowed") }
    }
}
