import Gateway

/// The gateway's answers as OpenAI `chat.completion` and `chat.completion.chunk` objects.
enum OpenAIChatResponse {
    static func finishReason(_ reason: FinishReason?) -> JSON {
        switch reason {
        case .length?: "length"
        case .toolUse?: "tool_calls"
        case .contentFilter?: "content_filter"
        case .stop?, .error?: "stop"
        case nil: .null
        }
    }

    /// `chatcmpl-<uuid>` from the gateway's `gen-<uuid>`, so logs and clients name the same generation.
    static func id(_ generation: String) -> String {
        "chatcmpl-" + (generation.hasPrefix("gen-") ? String(generation.dropFirst(4)) : generation)
    }

    static func usage(input: Int, output: Int, _ breakdown: TokenBreakdown = TokenBreakdown()) -> JSON {
        var usage = JSONObject()
        addUsage(input: input, output: output, breakdown, to: &usage)
        return .object(usage)
    }

    static func addUsage(input: Int, output: Int, _ breakdown: TokenBreakdown, to usage: inout some JSONMemberSink) {
        usage.add("prompt_tokens", .number(Double(input)))
        usage.add("completion_tokens", .number(Double(output)))
        usage.add("total_tokens", .number(Double(input + output)))
        usage.add("prompt_tokens_details", ["cached_tokens": .number(Double(breakdown.cacheRead))])
        usage.add("completion_tokens_details", ["reasoning_tokens": .number(Double(breakdown.reasoning ?? 0))])
    }

    /// Written straight into bytes (`JSONObjectWriter`): it is the answer of every unary call.
    static func completion(_ answer: GenerateResponse, created: Int) -> [UInt8] {
        var json = JSONObjectWriter()
        json.add("id", id(answer.id))
        json.add("object", "chat.completion")
        json.add("created", created)
        json.add("model", answer.model)
        // One choice, written from `answer` where it is (a collection of the answer itself was a copy of it).
        json.add("choices", array: CollectionOfOne(())) { _, out in
            JSONObjectWriter.write(into: &out) { choice in
                choice.add("index", 0)
                choice.add("message") { message(answer, into: &$0) }
                choice.add("logprobs", .null)
                choice.add("finish_reason", finishReason(answer.finishReason))
            }
        }
        json.add("usage") {
            addUsage(input: answer.tokensInput, output: answer.tokensOutput, answer.breakdown, to: &$0)
        }
        return json.finish()
    }

    private static func message(_ answer: GenerateResponse, into message: inout JSONObjectWriter) {
        message.add("role", "assistant")
        message.add("content", answer.content.isEmpty && !answer.toolCalls.isEmpty ? .null : .string(answer.content))
        message.add("refusal", .null)
        let reasoning = answer.reasoning.map(\.text).joined()
        if !reasoning.isEmpty { message.add("reasoning_content", reasoning) }
        if !answer.toolCalls.isEmpty { message.add("tool_calls", OpenAIChatFormat.toolCallsJSON(answer.toolCalls)) }
    }

    /// One chunk object around `delta` (`choices` empty for the usage chunk).
    static func chunk(
        id: String, model: String, created: Int, delta: JSON?, finish: FinishReason? = nil, usage: JSON? = nil
    ) -> JSON {
        var object: JSONObject = [
            "id": .string(id), "object": "chat.completion.chunk", "created": .number(Double(created)),
            "model": .string(model),
            "choices": delta.map {
                .array([["index": 0, "delta": $0, "logprobs": .null, "finish_reason": finishReason(finish)]])
            } ?? [],
        ]
        if let usage { object["usage"] = usage }
        return .object(object)
    }

    /// The delta of one gateway chunk: its text and its tool-call pieces (a call's first piece names it).
    static func delta(_ chunk: GenerateChunk, first: Bool) -> JSON {
        var delta: JSONObject = [:]
        if first { delta["role"] = "assistant" }
        if let reasoning = chunk.reasoning, !reasoning.text.isEmpty {
            delta["reasoning_content"] = .string(reasoning.text)
        }
        if !chunk.content.isEmpty || (first && chunk.toolCalls.isEmpty && chunk.reasoning == nil) {
            delta["content"] = .string(chunk.content)
        }
        if !chunk.toolCalls.isEmpty {
            delta["tool_calls"] = .array(
                chunk.toolCalls.map { piece in
                    var call: JSONObject = ["index": .number(Double(piece.index))]
                    var function: JSONObject = ["arguments": .string(piece.arguments)]
                    if !piece.id.isEmpty {
                        call["id"] = .string(piece.id)
                        call["type"] = "function"
                    }
                    if !piece.name.isEmpty { function["name"] = .string(piece.name) }
                    call["function"] = .object(function)
                    return .object(call)
                })
        }
        return .object(delta)
    }
}
