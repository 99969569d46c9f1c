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
        [
            "input_tokens": .number(Double(max(0, input - breakdown.cacheRead - breakdown.cacheWrite))),
            "output_tokens": .number(Double(output)),
            "cache_read_input_tokens": .number(Double(breakdown.cacheRead)),
            "cache_creation_input_tokens": .number(Double(breakdown.cacheWrite)),
        ]
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

    static func message(_ answer: GenerateResponse) -> JSON {
        var content: [JSON] = answer.reasoning.map(thinking)
        if !answer.content.isEmpty || answer.toolCalls.isEmpty {
            content.append(["type": "text", "text": .string(answer.content)])
        }
        for call in answer.toolCalls {
            content.append([
                "type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": input(call.arguments),
            ])
        }
        return [
            "id": .string(id(answer.id)), "type": "message", "role": "assistant", "model": .string(answer.model),
            "content": .array(content), "stop_reason": stopReason(answer.finishReason, answer.stop),
            "stop_sequence": answer.stop.sequence.isEmpty ? .null : .string(answer.stop.sequence),
            "usage": usage(input: answer.tokensInput, output: answer.tokensOutput, answer.breakdown),
        ]
    }
}
