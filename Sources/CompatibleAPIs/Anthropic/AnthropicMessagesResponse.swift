import Gateway

/// The gateway's answers as Anthropic `message` objects.
enum AnthropicMessagesResponse {
    static func stopReason(_ reason: FinishReason?, _ stop: StopDetails = StopDetails()) -> JSON {
        if !stop.sequence.isEmpty { return "stop_sequence" }
        return switch reason {
        case .length?: "max_tokens"
        case .toolUse?: "tool_use"
        case .contentFilter?: "refusal"
        case .stop?, .error?, nil: "end_turn"
        }
    }

    /// `msg_<uuid>` from the gateway's `gen-<uuid>`.
    static func id(_ generation: String) -> String {
        "msg_" + (generation.hasPrefix("gen-") ? String(generation.dropFirst(4)) : generation)
    }

    /// Anthropic's usage: `input_tokens` are those neither read from nor written to the cache.
    static func usage(input: Int, output: Int, _ breakdown: TokenBreakdown = TokenBreakdown()) -> JSON {
        var usage = JSONObject()
        addUsage(input: input, output: output, breakdown, to: &usage)
        return .object(usage)
    }

    static func addUsage(input: Int, output: Int, _ breakdown: TokenBreakdown, to usage: inout some JSONMemberSink) {
        usage.add("input_tokens", .number(Double(max(0, input - breakdown.cacheRead - breakdown.cacheWrite))))
        usage.add("output_tokens", .number(Double(output)))
        usage.add("cache_read_input_tokens", .number(Double(breakdown.cacheRead)))
        usage.add("cache_creation_input_tokens", .number(Double(breakdown.cacheWrite)))
    }

    /// A `thinking` block with its signature, or a `redacted_thinking` block.
    static func thinking(_ part: ReasoningPart) -> JSON {
        guard part.redactedData.isEmpty else {
            return ["type": "redacted_thinking", "data": .string(String(decoding: part.redactedData, as: UTF8.self))]
        }
        return ["type": "thinking", "thinking": .string(part.text), "signature": .string(part.signature)]
    }

    /// A tool call's arguments as the JSON object Anthropic's `input` is.
    static func input(_ arguments: String) -> JSON {
        (try? JSONParser.parse(Array(arguments.utf8))) ?? [:]
    }

    /// Written straight into bytes (`JSONObjectWriter`): it is the answer of every unary call.
    static func message(_ answer: GenerateResponse) -> [UInt8] {
        var json = JSONObjectWriter()
        json.add("id", id(answer.id))
        json.add("type", "message")
        json.add("role", "assistant")
        json.add("model", answer.model)
        json.add("content", array: contentBlocks(answer)) { block, out in JSONSerializer.write(block, into: &out) }
        json.add("stop_reason", stopReason(answer.finishReason, answer.stop))
        json.add("stop_sequence", answer.stop.sequence.isEmpty ? .null : .string(answer.stop.sequence))
        json.add("usage") {
            addUsage(input: answer.tokensInput, output: answer.tokensOutput, answer.breakdown, to: &$0)
        }
        return json.finish()
    }

    private static func contentBlocks(_ answer: GenerateResponse) -> [JSON] {
        var content: [JSON] = answer.reasoning.map(thinking)
        if !answer.content.isEmpty || answer.toolCalls.isEmpty {
            content.append(["type": "text", "text": .string(answer.content)])
        }
        for call in answer.toolCalls {
            content.append([
                "type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": input(call.arguments),
            ])
        }
        return content
    }
}
