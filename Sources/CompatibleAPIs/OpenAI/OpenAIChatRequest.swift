import Gateway
import RESTShim

/// An OpenAI Chat Completions request as a `GenerateRequest`: string or parts content (`image_url` data or
/// https URLs), tools, tool choice, response format, `max_tokens` or `max_completion_tokens`, `stop` as a
/// string or a list. Fields OpenAI accepts that the gateway has no use for (`seed`, `logprobs`,
/// `presence_penalty`, `user`, …) are ignored, never refused.
struct OpenAIChatRequest {
    var request: GenerateRequest
    var stream: Bool
    /// `stream_options.include_usage`: a last chunk with the usage and no choices.
    var includeUsage: Bool

    init(body: [UInt8]) throws(GatewayError) {
        let json = try JSONRequestReader(body: body)
        if let n = try json.integer("n"), n != 1 {
            throw GatewayError(.malformedRequest, "n: only 1 choice per request is supported")
        }
        let items = try json.objects("messages") ?? []
        // Checked here, not left to the gateway's validation, whose error names the native API's `prompt`.
        guard !items.isEmpty else { throw .invalid("messages", "at least one message is required") }
        var messages: [ChatMessage] = []
        for (path, item) in items {
            messages.append(try JSONRequestReader.nested(path) { () throws(GatewayError) in try Self.message(item) })
        }
        var stop: [String] = []
        switch json.raw("stop") {
        case .string(let one)?: stop = [one]
        case .array?: stop = try json.strings("stop") ?? []
        case nil: break
        case let other?: throw .invalid("stop", "must be a string or an array of strings, got \(other.typeName)")
        }
        let legacyMaxTokens = try json.integer("max_tokens")
        request = GenerateRequest(
            model: try json.string("model") ?? "", temperature: try json.number("temperature"),
            maxTokens: try json.integer("max_completion_tokens") ?? legacyMaxTokens, stopSequences: stop,
            metadata: try json.stringMap("metadata") ?? [:], topP: try json.number("top_p"), messages: messages,
            tools: try Self.tools(json), toolChoice: try Self.toolChoice(json),
            responseFormat: try Self.responseFormat(json), reasoning: try Self.reasoning(json),
            seed: try json.integer("seed").map(Int64.init))
        stream = try json.bool("stream") ?? false
        includeUsage = try json.object("stream_options")?.bool("include_usage") ?? false
    }

    static func message(_ item: JSONRequestReader) throws(GatewayError) -> ChatMessage {
        let role = try item.string("role") ?? ""
        var content = ""
        var parts: [ContentPart] = []
        switch item.raw("content") {
        case .string(let text)?: content = text
        case .array(let items)?:
            for (index, part) in items.enumerated() {
                parts.append(
                    try JSONRequestReader.nested(JSONRequestReader.ItemPath("content", index)) {
                        () throws(GatewayError) in try Self.part(part)
                    }
                )
            }
        case nil: break
        case let other?: throw .invalid("content", "must be a string or an array of parts, got \(other.typeName)")
        }
        var toolCalls: [ToolCall] = []
        for (path, call) in try item.objects("tool_calls") ?? [] {
            toolCalls.append(
                try JSONRequestReader.nested(path) { () throws(GatewayError) in
                    let function = try call.object("function")
                    return ToolCall(
                        id: try call.string("id") ?? "", name: try function?.string("name") ?? "",
                        arguments: try function?.string("arguments") ?? "{}")
                })
        }
        // Made whole where it is returned: made first and then filled in, the message was copied out.
        return ChatMessage(
            role: role == "developer" ? "system" : role, content: content, parts: parts, toolCalls: toolCalls,
            toolCallID: try item.string("tool_call_id") ?? "")
    }

    static func part(_ json: JSON) throws(GatewayError) -> ContentPart {
        guard let object = json.objectValue else { throw .invalid("", "must be an object") }
        let part = JSONRequestReader(object: object)
        switch try part.string("type") {
        case "text"?: return .text(try part.string("text") ?? "")
        case "image_url"?:
            guard let url = try part.object("image_url")?.string("url") else {
                throw .invalid("image_url.url", "is required")
            }
            return .image(Image(url: url))
        case let other:
            throw .invalid("type", "\(other ?? "a missing type") is not a supported part (text, image_url)")
        }
    }

    static func tools(_ json: JSONRequestReader) throws(GatewayError) -> [Tool] {
        var tools: [Tool] = []
        for (path, item) in try json.objects("tools") ?? [] {
            tools.append(
                try JSONRequestReader.nested(path) { () throws(GatewayError) in
                    guard let function = try item.object("function") else { throw .invalid("function", "is required") }
                    return Tool(
                        name: try function.string("name") ?? "", description: try function.string("description") ?? "",
                        parameters: function.raw("parameters") ?? ["type": "object", "properties": [:]])
                })
        }
        return tools
    }

    static func toolChoice(_ json: JSONRequestReader) throws(GatewayError) -> ToolChoice? {
        switch json.raw("tool_choice") {
        case nil: return nil
        case .string(let mode)?:
            guard let mode = ToolChoice.Mode(rawValue: mode), mode != .tool else {
                throw .invalid("tool_choice", "must be auto, none, required or a function")
            }
            return ToolChoice(mode)
        case .object?:
            let name = try json.object("tool_choice")?.object("function")?.string("name") ?? ""
            return ToolChoice(.tool, name: name)
        case let other?:
            throw .invalid("tool_choice", "must be a string or an object, got \(other.typeName)")
        }
    }

    /// `reasoning_effort`; the reasoning comes back as `reasoning_content`, as vLLM returns it.
    static func reasoning(_ json: JSONRequestReader) throws(GatewayError) -> ReasoningConfig? {
        guard let effort = try json.string("reasoning_effort") else { return nil }
        let parsed: ReasoningConfig.Effort? =
            switch effort {
            case "minimal": .low
            default: ReasoningConfig.Effort(rawValue: effort)
            }
        guard let parsed else { throw .invalid("reasoning_effort", "must be none, minimal, low, medium or high") }
        return ReasoningConfig(effort: parsed, include: true)
    }

    static func responseFormat(_ json: JSONRequestReader) throws(GatewayError) -> ResponseFormat? {
        guard let format = try json.object("response_format") else { return nil }
        switch try format.string("type") {
        case "text"?, nil: return nil
        case "json_object"?: return ResponseFormat(.jsonObject)
        case "json_schema"?:
            let schema = try format.object("json_schema")
            return ResponseFormat(
                .jsonSchema, schema: schema?.raw("schema"), name: try schema?.string("name") ?? "",
                strict: try schema?.bool("strict") ?? false)
        case let other?:
            throw .invalid("response_format.type", "\(other) is not text, json_object or json_schema")
        }
    }
}
