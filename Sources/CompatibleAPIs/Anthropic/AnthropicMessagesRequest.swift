import Gateway
import RESTShim

/// An Anthropic Messages request as a `GenerateRequest`: `system` as a string or text blocks; content as a
/// string or blocks (`text`, `image` with a base64 or URL source, `tool_use`, `tool_result`); `tools` with
/// `input_schema`; `tool_choice`; `max_tokens` (required, as the real API has it); `stop_sequences`.
/// A user turn's `tool_result` blocks become `tool` messages, in order, before the turn's other content.
struct AnthropicMessagesRequest {
    var request: GenerateRequest
    var stream: Bool

    init(body: [UInt8]) throws(GatewayError) {
        let json = try JSONRequestReader(body: body)
        guard let maxTokens = try json.integer("max_tokens") else {
            throw GatewayError(.malformedRequest, "max_tokens: Field required")
        }
        var system = ""
        switch json.raw("system") {
        case .string(let text)?: system = text
        case .array?:
            for (_, block) in try json.objects("system") ?? [] { system += try block.string("text") ?? "" }
        case nil: break
        case let other?: throw .invalid("system", "must be a string or text blocks, got \(other.typeName)")
        }
        let turns = try json.objects("messages") ?? []
        // Checked here, not left to the gateway's validation, whose error names the native API's `prompt`.
        guard !turns.isEmpty else { throw .invalid("messages", "at least one message is required") }
        var messages: [ChatMessage] = []
        for (path, item) in turns {
            messages += try JSONRequestReader.nested(path) { () throws(GatewayError) in try Self.turn(item) }
        }
        let tools = try ToolJSON.tools(json, schemaField: "input_schema")
        request = GenerateRequest(
            model: try json.string("model") ?? "", systemPrompt: system, temperature: try json.number("temperature"),
            maxTokens: maxTokens, stopSequences: try json.strings("stop_sequences") ?? [],
            topP: try json.number("top_p"),
            messages: messages, tools: tools, toolChoice: try Self.toolChoice(json), reasoning: try Self.thinking(json),
            topK: try json.integer("top_k"))
        stream = try json.bool("stream") ?? false
    }

    /// `thinking: {type: enabled, budget_tokens}` (or `disabled`); the thinking comes back as blocks.
    static func thinking(_ json: JSONRequestReader) throws(GatewayError) -> ReasoningConfig? {
        guard let thinking = try json.object("thinking") else { return nil }
        switch try thinking.string("type") {
        case "enabled"?:
            return ReasoningConfig(budgetTokens: try thinking.integer("budget_tokens"), include: true)
        case "disabled"?: return ReasoningConfig(effort: ReasoningConfig.Effort.none)
        default: throw .invalid("thinking.type", "must be enabled or disabled")
        }
    }

    static func toolChoice(_ json: JSONRequestReader) throws(GatewayError) -> ToolChoice? {
        guard let choice = try json.object("tool_choice") else { return nil }
        switch try choice.string("type") {
        case "auto"?: return ToolChoice(.auto)
        case "any"?: return ToolChoice(.required)
        case "none"?: return ToolChoice(.none)
        case "tool"?: return ToolChoice(.tool, name: try choice.string("name") ?? "")
        default: throw .invalid("tool_choice.type", "must be auto, any, tool or none")
        }
    }

    /// One Messages turn as the gateway's messages (a user turn with tool results becomes several).
    static func turn(_ item: JSONRequestReader) throws(GatewayError) -> [ChatMessage] {
        let role = try item.string("role") ?? ""
        guard role == "user" || role == "assistant" else { throw .invalid("role", "must be user or assistant") }
        if case .string(let text)? = item.raw("content") { return [ChatMessage(role: role, content: text)] }
        var results: [ChatMessage] = []
        var message = ChatMessage(role: role)
        for (path, block) in try item.objects("content") ?? [] {
            try JSONRequestReader.nested(path) { () throws(GatewayError) in
                switch try block.string("type") {
                case "text"?: message.parts.append(.text(try block.string("text") ?? ""))
                case "image"?: message.parts.append(.image(try image(block)))
                case "thinking"?:
                    message.parts.append(
                        .reasoning(
                            ReasoningPart(
                                text: try block.string("thinking") ?? "", signature: try block.string("signature") ?? ""
                            )))
                case "redacted_thinking"?:
                    message.parts.append(
                        .reasoning(ReasoningPart(redactedData: Array((try block.string("data") ?? "").utf8))))
                case "tool_use"?:
                    let input = String(decoding: JSONSerializer.serialize(block.raw("input") ?? [:]), as: UTF8.self)
                    message.toolCalls.append(
                        ToolCall(
                            id: try block.string("id") ?? "", name: try block.string("name") ?? "", arguments: input))
                case "tool_result"?:
                    results.append(
                        ChatMessage(
                            role: "tool", content: try resultText(block),
                            toolCallID: try block.string("tool_use_id") ?? ""))
                case let other:
                    throw .invalid("type", "\(other ?? "a missing type") is not a supported block")
                }
            }
        }
        let hasContent = !message.parts.isEmpty || !message.toolCalls.isEmpty
        return results + (hasContent || results.isEmpty ? [message] : [])
    }

    static func image(_ block: JSONRequestReader) throws(GatewayError) -> Image {
        guard let source = try block.object("source") else { throw .invalid("source", "is required") }
        switch try source.string("type") {
        case "base64"?:
            guard let data = Base64.decode((try source.string("data") ?? "").utf8) else {
                throw .invalid("source.data", "must be base64")
            }
            return Image(mediaType: try source.string("media_type") ?? "", data: data)
        case "url"?: return Image(url: try source.string("url") ?? "")
        default: throw .invalid("source.type", "must be base64 or url")
        }
    }

    /// A tool result's content: a string, or its text blocks joined.
    static func resultText(_ block: JSONRequestReader) throws(GatewayError) -> String {
        if case .array? = block.raw("content") {
            var text = ""
            for (_, part) in try block.objects("content") ?? [] { text += try part.string("text") ?? "" }
            return text
        }
        return try block.string("content") ?? ""
    }
}
