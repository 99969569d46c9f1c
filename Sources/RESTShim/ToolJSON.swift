import Gateway

/// Tools, tool choice, response format, message parts and tool calls in REST's JSON (contract §7): the
/// proto's JSON form, except that schemas are JSON objects and image data is base64.
package enum ToolJSON {
    /// `tools`, each with `name`, `description` and its schema in `schemaField` (Anthropic calls it
    /// `input_schema`).
    package static func tools(_ json: JSONRequestReader, schemaField: String = "parameters") throws(GatewayError)
        -> [Tool]
    {
        var tools: [Tool] = []
        for (path, item) in try json.objects("tools") ?? [] {
            tools.append(
                try JSONRequestReader.nested(path) { () throws(GatewayError) in
                    Tool(
                        name: try item.string("name") ?? "", description: try item.string("description") ?? "",
                        parameters: item.raw(schemaField) ?? ["type": "object"])
                })
        }
        return tools
    }

    /// `tool_choice`: `{"mode": …, "name": …}`, or the mode alone as a string.
    static func toolChoice(_ json: JSONRequestReader) throws(GatewayError) -> ToolChoice? {
        guard let value = json.raw("tool_choice") else { return nil }
        if let mode = value.stringValue { return ToolChoice(try self.mode(mode, field: "tool_choice"), name: "") }
        guard let choice = try json.object("tool_choice") else { return nil }
        return ToolChoice(
            try mode(try choice.string("mode") ?? "auto", field: "tool_choice.mode"),
            name: try JSONRequestReader.nested("tool_choice") { () throws(GatewayError) in try choice.string("name") }
                ?? "")
    }

    private static func mode(_ text: String, field: String) throws(GatewayError) -> ToolChoice.Mode {
        guard let mode = ToolChoice.Mode(rawValue: text) else {
            throw .invalid(field, "must be auto, none, required or tool")
        }
        return mode
    }

    static func responseFormat(_ json: JSONRequestReader) throws(GatewayError) -> ResponseFormat? {
        guard let format = try json.object("response_format") else { return nil }
        return try JSONRequestReader.nested("response_format") { () throws(GatewayError) in
            let type = try format.string("type") ?? "text"
            guard let kind = ResponseFormat.Kind(rawValue: type) else {
                throw .invalid("type", "must be text, json_object or json_schema")
            }
            return ResponseFormat(
                kind, schema: format.raw("schema"), name: try format.string("name") ?? "",
                strict: try format.bool("strict") ?? false)
        }
    }

    static func message(_ item: JSONRequestReader) throws(GatewayError) -> ChatMessage {
        var parts: [ContentPart] = []
        for (path, part) in try item.objects("parts") ?? [] {
            parts.append(try JSONRequestReader.nested(path) { () throws(GatewayError) in try self.part(part) })
        }
        var calls: [ToolCall] = []
        for (path, call) in try item.objects("tool_calls") ?? [] {
            calls.append(
                try JSONRequestReader.nested(path) { () throws(GatewayError) in
                    ToolCall(
                        id: try call.string("id") ?? "", name: try call.string("name") ?? "",
                        arguments: try call.string("arguments") ?? "{}")
                })
        }
        return ChatMessage(
            role: try item.string("role") ?? "", content: try item.string("content") ?? "", parts: parts,
            toolCalls: calls, toolCallID: try item.string("tool_call_id") ?? "")
    }

    private static func part(_ part: JSONRequestReader) throws(GatewayError) -> ContentPart {
        if let text = try part.string("text") { return .text(text) }
        if let reasoning = try part.object("reasoning") {
            return .reasoning(
                try JSONRequestReader.nested("reasoning") { () throws(GatewayError) in try ReasoningJSON.part(reasoning)
                })
        }
        guard let image = try part.object("image") else { throw .invalid("text", "a part holds text or an image") }
        return .image(
            try JSONRequestReader.nested("image") { () throws(GatewayError) in
                var data: [UInt8] = []
                if let encoded = try image.string("data") {
                    guard let decoded = Base64.decode(encoded.utf8) else { throw .invalid("data", "must be base64") }
                    data = decoded
                }
                return Image(
                    mediaType: try image.string("media_type") ?? "", data: data, url: try image.string("url") ?? "")
            })
    }

    // MARK: answers

    static func toolCalls(_ calls: [ToolCall]) -> JSON {
        .array(calls.map { ["id": .string($0.id), "name": .string($0.name), "arguments": .string($0.arguments)] })
    }

    static func toolCallDeltas(_ deltas: [ToolCallDelta]) -> JSON {
        .array(
            deltas.map {
                [
                    "index": .number(Double($0.index)), "id": .string($0.id), "name": .string($0.name),
                    "arguments": .string($0.arguments),
                ]
            })
    }
}
