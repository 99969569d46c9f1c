import Gateway
import RPC

/// Relays a generation as OpenAI's stream: `chat.completion.chunk` events (the first with the role), a
/// last chunk with the finish reason, the usage chunk when asked, then `data: [DONE]`. A failure after the
/// stream began is an `{"error": …}` event and no `[DONE]`, so clients see the cut.
enum OpenAIChatStream {
    static func relay(
        _ chunks: GenerationStream, to writer: any ResponseWriter, _ context: CallContext, includeUsage: Bool,
        created: Int
    ) async {
        defer { chunks.close() }
        do {
            try await writer.writeHead(CompatibleEndpoint.eventStreamHead(context))
        } catch {
            return
        }
        var first = true
        var out: [UInt8] = []
        var prefix: [UInt8] = []
        do {
            var id = ""  // the stream's chatcmpl id, made once
            for try await chunk in chunks {
                if id.isEmpty { id = OpenAIChatResponse.id(chunk.id) }
                out.removeAll(keepingCapacity: true)
                // Most chunks are a piece of text: the same object around a new string, written from bytes
                // made once per stream rather than a JSON tree per chunk.
                if !first, !chunk.done, chunk.toolCalls.isEmpty, chunk.reasoning == nil, !chunk.content.isEmpty {
                    if prefix.isEmpty { prefix = Self.contentPrefix(id: id, model: chunk.model, created: created) }
                    out.append(contentsOf: prefix)
                    JSONSerializer.writeString(chunk.content, into: &out)
                    out.append(contentsOf: Self.contentSuffix)
                    try await writer.writeBody(out)
                    continue
                }
                let reasoned = !(chunk.reasoning?.text.isEmpty ?? true)
                if !chunk.content.isEmpty || !chunk.toolCalls.isEmpty || reasoned || (first && !chunk.done) {
                    CompatibleEndpoint.event(
                        OpenAIChatResponse.chunk(
                            id: id, model: chunk.model, created: created,
                            delta: OpenAIChatResponse.delta(chunk, first: first)),
                        into: &out)
                    first = false
                }
                if chunk.done {
                    CompatibleEndpoint.event(
                        OpenAIChatResponse.chunk(
                            id: id, model: chunk.model, created: created, delta: [:],
                            finish: chunk.finishReason ?? .stop),
                        into: &out)
                    if includeUsage {
                        CompatibleEndpoint.event(
                            OpenAIChatResponse.chunk(
                                id: id, model: chunk.model, created: created, delta: nil,
                                usage: OpenAIChatResponse.usage(
                                    input: chunk.tokensInput, output: chunk.tokensOutput, chunk.breakdown)),
                            into: &out)
                    }
                    out.append(contentsOf: "data: [DONE]\n\n".utf8)
                }
                try await writer.writeBody(out)
            }
        } catch is ResponseWriteError {
            return  // the client went away
        } catch {
            out.removeAll()
            CompatibleEndpoint.event(OpenAIErrors.body(CompatibleEndpoint.domain(error)), into: &out)
            try? await writer.writeBody(out)
        }
        try? await writer.finish(head: nil, trailers: HTTPFields())
    }

    /// `data: ` and a content chunk's object up to its text (the same serializer writes it as a whole chunk).
    static func contentPrefix(id: String, model: String, created: Int) -> [UInt8] {
        var out: [UInt8] = []
        CompatibleEndpoint.event(
            OpenAIChatResponse.chunk(id: id, model: model, created: created, delta: ["content": "\u{0}"]), into: &out)
        let marker = Array(#""\u0000""#.utf8)
        guard let at = out.firstRange(of: marker) else { return out }
        return Array(out[..<at.lowerBound])
    }

    static let contentSuffix = Array(#"},"logprobs":null,"finish_reason":null}]}"#.utf8) + [0x0A, 0x0A]
}
