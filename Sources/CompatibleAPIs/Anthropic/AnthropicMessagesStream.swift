import Gateway
import RESTShim
import RPC

/// Relays a generation as Anthropic's event sequence: `message_start`, `ping`, then content blocks — text
/// (`text_delta`) and tool use (`input_json_delta`), each started, fed and stopped in order — then
/// `message_delta` (stop reason and usage) and `message_stop`. A failure after the stream began is an
/// `error` event and no `message_stop`, so clients see the cut.
struct AnthropicMessagesStream: ChunkEncoder {
    /// What kind of content block is open, and its index.
    enum Block: Equatable {
        case none
        case text(Int)
        case thinking(Int)
        case toolUse(index: Int, call: Int)
    }

    private var started = false
    private var block = Block.none
    private var nextIndex = 0
    private var out: [UInt8] = []
    /// The open text block's `text_delta` event with its text left open (most events are one).
    private var textDelta: (index: Int, template: JSONStringTemplate)?

    static func relay(_ chunks: GenerationStream, to writer: any ResponseWriter, _ context: CallContext) async {
        defer { chunks.close() }
        do {
            try await writer.writeHead(CompatibleEndpoint.eventStreamHead(context))
        } catch {
            return
        }
        do {
            try await chunks.relay(to: ResponseBodySink(AnthropicMessagesStream(), writer: writer))
        } catch is ResponseWriteError {
            return  // the client went away
        } catch {
            var out: [UInt8] = []
            CompatibleEndpoint.event(AnthropicErrors.body(CompatibleEndpoint.domain(error)), name: "error", into: &out)
            try? await writer.writeBody(out)
        }
        try? await writer.finish(head: nil, trailers: HTTPFields())
    }

    mutating func encode(_ batch: ChunkBatch, into out: inout [UInt8]) {
        // The events are written into `out` itself: swapped in for the batch, so nothing is copied.
        swap(&self.out, &out)
        defer { swap(&self.out, &out) }
        if !started {
            start(id: AnthropicMessagesResponse.id(batch.id), model: batch.model)
            started = true
        }
        for piece in batch.pieces {
            switch piece {
            case .text(let content): text(content)
            case .chunk(let chunk): relay(chunk)
            }
        }
    }

    private mutating func event(_ name: String, _ payload: JSON) {
        CompatibleEndpoint.event(payload, name: name, into: &out)
    }

    /// The events written since the last call.
    mutating func take() -> [UInt8] {
        defer { out.removeAll(keepingCapacity: true) }
        return out
    }

    mutating func start(id: String, model: String) {
        event(
            "message_start",
            [
                "type": "message_start",
                "message": [
                    "id": .string(id), "type": "message", "role": "assistant", "model": .string(model), "content": [],
                    "stop_reason": .null, "stop_sequence": .null,
                    "usage": AnthropicMessagesResponse.usage(input: 0, output: 0),
                ],
            ])
        event("ping", ["type": "ping"])
    }

    private mutating func stopBlock() {
        switch block {
        case .none: return
        case .text(let index), .thinking(let index), .toolUse(let index, _):
            event("content_block_stop", ["type": "content_block_stop", "index": .number(Double(index))])
        }
        block = .none
    }

    private mutating func open(_ content: JSON) -> Int {
        stopBlock()
        let index = nextIndex
        nextIndex += 1
        event(
            "content_block_start",
            ["type": "content_block_start", "index": .number(Double(index)), "content_block": content])
        return index
    }

    /// Reasoning pieces: a redacted block whole; thinking text as `thinking_delta`, its signature as
    /// `signature_delta` (which closes the block's content).
    private mutating func reasoning(_ piece: ReasoningPart) {
        if !piece.redactedData.isEmpty {
            _ = open(AnthropicMessagesResponse.thinking(piece))
            block = .thinking(nextIndex - 1)
            stopBlock()
            return
        }
        let index: Int
        if case .thinking(let open) = block {
            index = open
        } else {
            index = self.open(["type": "thinking", "thinking": "", "signature": ""])
            block = .thinking(index)
        }
        let delta: JSON =
            piece.text.isEmpty
            ? ["type": "signature_delta", "signature": .string(piece.signature)]
            : ["type": "thinking_delta", "thinking": .string(piece.text)]
        event("content_block_delta", ["type": "content_block_delta", "index": .number(Double(index)), "delta": delta])
    }

    static func textDelta(index: Int, _ text: JSON) -> JSON {
        [
            "type": "content_block_delta", "index": .number(Double(index)),
            "delta": ["type": "text_delta", "text": text],
        ]
    }

    /// A piece of answer text: a `text_delta` in the open text block (opened first when another is open).
    mutating func text(_ content: String) {
        guard !content.isEmpty else { return }
        let index: Int
        if case .text(let open) = block {
            index = open
        } else {
            index = self.open(["type": "text", "text": ""])
            block = .text(index)
        }
        if textDelta?.index != index {
            textDelta = JSONStringTemplate(
                Self.textDelta(index: index, JSONStringTemplate.slot), before: "event: content_block_delta\ndata: ",
                after: "\n\n"
            ).map { (index, $0) }
        }
        if let template = textDelta?.template {
            template.write(content, into: &out)
        } else {
            event("content_block_delta", Self.textDelta(index: index, .string(content)))
        }
    }

    mutating func relay(_ chunk: GenerateChunk) {
        if let reasoning = chunk.reasoning { self.reasoning(reasoning) }
        text(chunk.content)
        for piece in chunk.toolCalls {
            let index: Int
            if case .toolUse(let open, let call) = block, call == piece.index {
                index = open
            } else {
                index = self.open([
                    "type": "tool_use", "id": .string(piece.id), "name": .string(piece.name), "input": [:],
                ])
                block = .toolUse(index: index, call: piece.index)
            }
            guard !piece.arguments.isEmpty else { continue }
            event(
                "content_block_delta",
                [
                    "type": "content_block_delta", "index": .number(Double(index)),
                    "delta": ["type": "input_json_delta", "partial_json": .string(piece.arguments)],
                ])
        }
        guard chunk.done else { return }
        stopBlock()
        event(
            "message_delta",
            [
                "type": "message_delta",
                "delta": [
                    "stop_reason": AnthropicMessagesResponse.stopReason(chunk.finishReason), "stop_sequence": .null,
                ],
                "usage": AnthropicMessagesResponse.usage(input: chunk.tokensInput, output: chunk.tokensOutput),
            ])
        event("message_stop", ["type": "message_stop"])
    }
}
