/// The OpenAI Chat Completions shapes of tools, tool choice, response format, message parts and tool calls,
/// both ways: what the OpenAI-compatible provider sends and reads.
public enum OpenAIChatFormat {
    /// A turn as an OpenAI chat message, its members added to `json`.
    static func message(_ turn: ChatMessage, into json: inout some JSONMemberSink) {
        json.add("role", .string(turn.role))
        if turn.role == "tool" { json.add("tool_call_id", .string(turn.toolCallID)) }
        if turn.parts.isEmpty || turn.images.isEmpty {
            json.add("content", turn.text.isEmpty && !turn.toolCalls.isEmpty ? .null : .string(turn.text))
        } else {
            json.add("content", .array(turn.parts.compactMap(part)))
        }
        if !turn.toolCalls.isEmpty { json.add("tool_calls", toolCallsJSON(turn.toolCalls)) }
    }

    /// Whole tool calls as OpenAI's `tool_calls` array: in a conversation sent to the provider, and in the
    /// OpenAI-format front door's answers.
    public static func toolCallsJSON(_ calls: [ToolCall]) -> JSON {
        .array(
            calls.map {
                [
                    "id": .string($0.id), "type": "function",
                    "function": ["name": .string($0.name), "arguments": .string($0.arguments)],
                ]
            })
    }

    /// A content part as OpenAI takes it; reasoning sent back is not (the API does not take it as input).
    static func part(_ part: ContentPart) -> JSON? {
        switch part {
        case .text(let text): ["type": "text", "text": .string(text)]
        case .image(let image): ["type": "image_url", "image_url": ["url": .string(url(image))]]
        case .reasoning: nil
        }
    }

    /// An image as a URL: its own `https:` URL, or its bytes as a data URL.
    static func url(_ image: Image) -> String {
        image.data.isEmpty ? image.url : "data:\(image.mediaType);base64,\(Base64.encode(image.data))"
    }

    /// `tools`, `tool_choice` and `response_format` of a request, added to `json`.
    static func addTooling(_ request: GenerateRequest, to json: inout some JSONMemberSink) {
        if !request.tools.isEmpty {
            json.add(
                "tools",
                .array(
                    request.tools.map {
                        [
                            "type": "function",
                            "function": [
                                "name": .string($0.name), "description": .string($0.description),
                                "parameters": $0.parameters,
                            ],
                        ]
                    }))
        }
        if let choice = request.toolChoice {
            json.add(
                "tool_choice",
                choice.mode == .tool
                    ? ["type": "function", "function": ["name": .string(choice.name)]] : .string(choice.mode.rawValue))
        }
        if let format = request.responseFormat {
            switch format.type {
            case .text: break
            case .jsonObject: json.add("response_format", ["type": "json_object"])
            case .jsonSchema:
                json.add(
                    "response_format",
                    [
                        "type": "json_schema",
                        "json_schema": [
                            "name": .string(format.schemaName), "schema": format.schema ?? ["type": "object"],
                            "strict": .bool(format.strict),
                        ],
                    ])
            }
        }
    }

    /// `message.tool_calls` of a whole answer.
    static func toolCalls(_ json: JSON?) -> [ToolCall] {
        (json?.arrayValue ?? []).enumerated().map { index, call in
            ToolCall(
                id: call["id"]?.stringValue ?? "call-\(index + 1)",
                name: call["function"]?["name"]?.stringValue ?? "",
                arguments: call["function"]?["arguments"]?.argumentsText ?? "{}")
        }
    }

    /// `delta.tool_calls` of a stream chunk: pieces by index (a call's first piece has its id and name).
    static func toolCallDeltas(_ json: JSON?) -> [ToolCallDelta] {
        (json?.arrayValue ?? []).compactMap { piece in
            let delta = ToolCallDelta(
                index: piece["index"]?.countValue ?? 0, id: piece["id"]?.stringValue ?? "",
                name: piece["function"]?["name"]?.stringValue ?? "",
                arguments: piece["function"]?["arguments"]?.argumentsText ?? "")
            return delta.id.isEmpty && delta.name.isEmpty && delta.arguments.isEmpty ? nil : delta
        }
    }
}
