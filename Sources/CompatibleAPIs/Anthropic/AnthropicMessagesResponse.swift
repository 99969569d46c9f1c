import Gateway

/// The gateway's answers as Anthropic `message` objects.
enum AnthropicMessagesResponse {
    static func stopReason(_ reason: FinishReason?) -> JSON {
        switch reason {
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

    static func usage(input: Int, output: Int) -> JSON {
        ["input_tokens": .number(Double(input)), "output_tokens": .number(Double(output))]
    }

    /// A tool call's arguments as the JSON object Anthropic's `input` is.
    static func input(_ arguments: String) -> JSON {
        (try? JSONParser.parse(Array(arguments.utf8))) ?? [:]
    }

    static func message(_ answer: GenerateResponse) -> JSON {
        var content: [JSON] = []
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
            "content": .array(content), "stop_reason": stopReason(answer.finishReason), "stop_sequence": .null,
            "usage": usage(input: answer.tokensInput, output: answer.tokensOutput),
        ]
    }
}
