/// Anthropic Messages API shapes of a conversation, tools and tool choice: content blocks (text, image,
/// `tool_use`, `tool_result`), consecutive turns of one role merged (the API alternates user and assistant),
/// and JSON output through a forced tool whose input is the answer.
enum AnthropicMessagesFormat {
    /// The tool that carries a JSON answer, when the request asks for JSON output.
    static func jsonTool(_ request: GenerateRequest) -> Tool? {
        guard let format = request.responseFormat, format.type != .text else { return nil }
        let name = format.type == .jsonSchema ? format.schemaName : "json_response"
        return Tool(
            name: name, description: "Give the answer as this tool's input: a JSON object.",
            parameters: format.type == .jsonSchema ? format.schema ?? ["type": "object"] : ["type": "object"])
    }

    /// `messages`, `system`, `tools` and `tool_choice`, added to `json`.
    static func add(_ request: GenerateRequest, to json: inout some JSONMemberSink) throws(GatewayError) {
        let turns = request.conversation
        let system = turns.filter { $0.role == "system" }.map(\.text).joined(separator: "\n\n")
        if !system.isEmpty { json.add("system", .string(system)) }
        var messages: [(role: String, blocks: [JSON])] = []
        for turn in turns where turn.role != "system" {
            let role = turn.role == "assistant" ? "assistant" : "user"
            let blocks = self.blocks(turn)
            if messages.last?.role == role {
                messages[messages.count - 1].blocks += blocks
            } else {
                messages.append((role, blocks))
            }
        }
        json.add(
            "messages",
            .array(
                messages.map { message in
                    // A turn of plain text stays a string, as most clients send it.
                    if message.blocks.count == 1, message.blocks[0]["type"]?.stringValue == "text" {
                        return ["role": .string(message.role), "content": message.blocks[0]["text"] ?? ""]
                    }
                    return ["role": .string(message.role), "content": .array(message.blocks)]
                }))
        if let jsonTool = jsonTool(request) {
            guard request.tools.isEmpty else {
                throw .invalid(
                    "response_format", "Anthropic models answer in JSON through a tool: not with other tools")
            }
            json.add("tools", .array([tool(jsonTool)]))
            json.add("tool_choice", ["type": "tool", "name": .string(jsonTool.name)])
            return
        }
        if !request.tools.isEmpty { json.add("tools", .array(request.tools.map(tool))) }
        if let choice = request.toolChoice, !request.tools.isEmpty {
            let toolChoice: JSON =
                switch choice.mode {
                case .auto: ["type": "auto"]
                case .none: ["type": "none"]
                case .required: ["type": "any"]
                case .tool: ["type": "tool", "name": .string(choice.name)]
                }
            json.add("tool_choice", toolChoice)
        }
    }

    /// The thinking budget a request asks of Anthropic, if it asks for thinking: its `budget_tokens`, else
    /// one for its effort (low 1,024, medium 4,096, high 16,384), kept below `max_tokens`. Thinking cannot
    /// be combined with a forced tool (nor with JSON output, which is one): 422.
    static func thinkingBudget(_ request: GenerateRequest) throws(GatewayError) -> Int? {
        guard let reasoning = request.reasoning, reasoning.isOn else { return nil }
        if let mode = request.toolChoice?.mode, mode == .tool || mode == .required {
            throw .invalid("tool_choice", "Anthropic does not force a tool while thinking")
        }
        if jsonTool(request) != nil {
            throw .invalid("response_format", "Anthropic's JSON output forces a tool, which thinking does not allow")
        }
        if let budget = reasoning.budgetTokens { return budget }
        let wanted =
            switch reasoning.effort {
            case .low?: 1024
            case .high?: 16384
            default: 4096
            }
        let budget = min(wanted, request.effectiveMaxTokens - 1)
        guard budget >= 1024 else {
            throw .invalid("max_tokens", "thinking on Anthropic needs max_tokens above 1024")
        }
        return budget
    }

    /// The reasoning of a whole answer: `thinking` blocks with their signatures, `redacted_thinking` data.
    static func reasoning(_ content: JSON?) -> [ReasoningPart] {
        (content?.arrayValue ?? []).compactMap { block in
            switch block["type"]?.stringValue {
            case "thinking"?:
                ReasoningPart(
                    text: block["thinking"]?.stringValue ?? "", signature: block["signature"]?.stringValue ?? "")
            case "redacted_thinking"?: ReasoningPart(redactedData: Array((block["data"]?.stringValue ?? "").utf8))
            default: nil
            }
        }
    }

    static func tool(_ tool: Tool) -> JSON {
        ["name": .string(tool.name), "description": .string(tool.description), "input_schema": tool.parameters]
    }

    static func blocks(_ turn: ChatMessage) -> [JSON] {
        if turn.role == "tool" {
            return [["type": "tool_result", "tool_use_id": .string(turn.toolCallID), "content": .string(turn.text)]]
        }
        // Thinking goes back first and unchanged: with tools, the API checks its signature.
        var blocks: [JSON] = turn.reasoning.map(thinking)
        if turn.parts.isEmpty {
            if !turn.content.isEmpty { blocks.append(["type": "text", "text": .string(turn.content)]) }
        } else {
            for part in turn.parts {
                switch part {
                case .text(let text): blocks.append(["type": "text", "text": .string(text)])
                case .image(let image): blocks.append(self.image(image))
                case .reasoning: break
                }
            }
        }
        for call in turn.toolCalls {
            let input = (try? JSONParser.parse(Array(call.arguments.utf8))) ?? [:]
            blocks.append(["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": input])
        }
        return blocks.isEmpty ? [["type": "text", "text": ""]] : blocks
    }

    /// A `thinking` block with its signature, or a `redacted_thinking` block with its opaque data.
    static func thinking(_ part: ReasoningPart) -> JSON {
        guard part.redactedData.isEmpty else {
            return ["type": "redacted_thinking", "data": .string(String(decoding: part.redactedData, as: UTF8.self))]
        }
        return ["type": "thinking", "thinking": .string(part.text), "signature": .string(part.signature)]
    }

    static func image(_ image: Image) -> JSON {
        if image.data.isEmpty { return ["type": "image", "source": ["type": "url", "url": .string(image.url)]] }
        return [
            "type": "image",
            "source": [
                "type": "base64", "media_type": .string(image.mediaType), "data": .string(Base64.encode(image.data)),
            ],
        ]
    }

    /// The completion in a whole Messages answer; `jsonTool` names the tool that carries a JSON answer.
    static func completion(_ answer: JSON, jsonTool: String?) -> ProviderCompletion {
        let (text, calls) = Self.answer(answer["content"], jsonTool: jsonTool)
        let usage = answer["usage"]
        let cached = usage?["cache_read_input_tokens"]?.countValue ?? 0
        let written = usage?["cache_creation_input_tokens"]?.countValue ?? 0
        return ProviderCompletion(
            content: text,
            tokensInput: (usage?["input_tokens"]?.countValue ?? 0) + cached + written,
            tokensOutput: usage?["output_tokens"]?.countValue ?? 0,
            cachedInput: cached,
            finishReason: AnthropicStreamTranslator.finishReason(
                answer["stop_reason"]?.stringValue, jsonOutput: jsonTool != nil),
            toolCalls: calls, reasoning: reasoning(answer["content"]), cacheWrite: written,
            stop: StopDetails(
                sequence: answer["stop_sequence"]?.stringValue ?? "",
                providerReason: answer["stop_reason"]?.stringValue ?? ""))
    }

    /// The models a `/v1/models` answer lists, each with what every current Claude model can do.
    static func models(_ answer: JSON) -> [DiscoveredModel] {
        answer["data"]?.arrayValue?.compactMap {
            $0["id"]?.stringValue.map {
                DiscoveredModel(name: $0, capabilities: [.generate, .chat, .stream, .tools, .vision, .jsonOutput])
            }
        } ?? []
    }

    /// A whole answer's content blocks: its text and tool calls (the JSON tool's input is the text).
    private static func answer(_ content: JSON?, jsonTool: String?) -> (text: String, calls: [ToolCall]) {
        var text = ""
        var calls: [ToolCall] = []
        for block in content?.arrayValue ?? [] {
            switch block["type"]?.stringValue {
            case "text":
                text += block["text"]?.stringValue ?? ""
            case "tool_use":
                let input = String(decoding: JSONSerializer.serialize(block["input"] ?? [:]), as: UTF8.self)
                let name = block["name"]?.stringValue ?? ""
                if let jsonTool, name == jsonTool {
                    text += input
                } else {
                    calls.append(
                        ToolCall(
                            id: block["id"]?.stringValue ?? "call-\(calls.count + 1)", name: name, arguments: input))
                }
            default:
                break
            }
        }
        return (text, calls)
    }
}
