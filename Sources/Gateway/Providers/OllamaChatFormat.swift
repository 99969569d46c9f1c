/// Ollama's `/api/chat` shapes of messages, images, tools and tool calls: images as base64 strings, tool
/// arguments as JSON objects, calls without ids (numbered `call-<n>` here).
enum OllamaChatFormat {
    static func messages(_ turns: [ChatMessage]) throws(GatewayError) -> [JSON] {
        var names: [String: String] = [:]  // call id → tool name, for the tool turns that answer them
        var out: [JSON] = []
        for (index, turn) in turns.enumerated() {
            var json: JSONObject = ["role": .string(turn.role), "content": .string(turn.text)]
            let images = turn.images
            if !images.isEmpty {
                json["images"] = .array(
                    try images.map { image throws(GatewayError) in
                        guard !image.data.isEmpty else {
                            throw .invalid("messages[\(index)]", "Ollama takes image data, not image URLs")
                        }
                        return .string(Base64.encode(image.data))
                    })
            }
            if !turn.toolCalls.isEmpty {
                json["tool_calls"] = .array(
                    turn.toolCalls.map { call in
                        names[call.id] = call.name
                        let arguments = (try? JSONParser.parse(Array(call.arguments.utf8))) ?? [:]
                        return ["function": ["name": .string(call.name), "arguments": arguments]]
                    })
            }
            if turn.role == "tool", let name = names[turn.toolCallID] { json["tool_name"] = .string(name) }
            out.append(.object(json))
        }
        return out
    }

    /// The tools a request offers, as Ollama takes them (it has no tool choice: `none` sends none, `tool`
    /// sends only the named one).
    static func tools(_ request: GenerateRequest) -> JSON? {
        var offered = request.tools
        switch request.toolChoice?.mode {
        case .none?: offered = []
        case .tool?: offered = offered.filter { $0.name == request.toolChoice?.name }
        default: break
        }
        guard !offered.isEmpty else { return nil }
        return .array(
            offered.map {
                [
                    "type": "function",
                    "function": [
                        "name": .string($0.name), "description": .string($0.description), "parameters": $0.parameters,
                    ],
                ]
            })
    }

    /// `message.tool_calls`, each whole: one delta per call, numbered after `first` calls already seen.
    static func toolCalls(_ json: JSON?, numberedFrom first: Int) -> [ToolCallDelta] {
        (json?.arrayValue ?? []).enumerated().map { offset, call in
            let index = first + offset
            return ToolCallDelta(
                index: index, id: call["id"]?.stringValue ?? "call-\(index + 1)",
                name: call["function"]?["name"]?.stringValue ?? "",
                arguments: call["function"]?["arguments"]?.argumentsText ?? "{}")
        }
    }
}
