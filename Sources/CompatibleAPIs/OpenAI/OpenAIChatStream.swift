import Gateway
import RESTShim
import RPC
import Reactor

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
        do {
            try await chunks.relay(
                to: ResponseBodySink(Events(created: created, includeUsage: includeUsage), writer: writer))
        } catch is ResponseWriteError {
            return  // the client went away
        } catch {
            var out: [UInt8] = []
            CompatibleEndpoint.event(OpenAIErrors.body(CompatibleEndpoint.domain(error)), into: &out)
            try? await writer.writeBody(out)
        }
        try? await writer.finish(head: nil, trailers: HTTPFields())
    }

    /// The events of one stream, chunk by chunk.
    struct Events: ChunkEncoder {
        let created: Int
        let includeUsage: Bool
        var first = true
        var id = ""  // the stream's chatcmpl id, made once
        var template: JSONStringTemplate?

        mutating func encode(_ batch: ChunkBatch, into out: inout [UInt8]) {
            for piece in batch.pieces { write(piece, of: batch, into: &out) }
        }

        mutating func write(_ piece: ChunkBatch.Piece, of batch: ChunkBatch, into out: inout [UInt8]) {
            if case .text(let content) = piece, !first, !content.isEmpty,
                writeText(content, model: batch.model, into: &out)
            {
                return
            }
            write(batch.whole(piece), into: &out)
        }

        mutating func write(_ chunk: GenerateChunk, into out: inout [UInt8]) {
            if id.isEmpty { id = OpenAIChatResponse.id(chunk.id) }
            if !first, !chunk.done, chunk.toolCalls.isEmpty, chunk.reasoning == nil, !chunk.content.isEmpty,
                writeText(chunk.content, model: chunk.model, into: &out)
            {
                return
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
            guard chunk.done else { return }
            CompatibleEndpoint.event(
                OpenAIChatResponse.chunk(
                    id: id, model: chunk.model, created: created, delta: [:], finish: chunk.finishReason ?? .stop),
                into: &out)
            if includeUsage {
                CompatibleEndpoint.event(
                    OpenAIChatResponse.chunk(
                        id: id, model: chunk.model, created: created, delta: nil,
                        usage: OpenAIChatResponse.usage(
                            input: chunk.tokensInput, output: chunk.tokensOutput, chunk.breakdown)),
                    into: &out)
            }
            out.appendBytes("data: [DONE]\n\n")
        }

        /// Most chunks are a piece of text: the same object around a new string, written from bytes made once
        /// per stream rather than a JSON tree per chunk. False when no template could be made. Never the
        /// first chunk, which carries the role; `id` is set by then.
        private mutating func writeText(_ content: String, model: String, into out: inout [UInt8]) -> Bool {
            template = template ?? OpenAIChatStream.contentTemplate(id: id, model: model, created: created)
            guard let template else { return false }
            template.write(content, into: &out)
            return true
        }
    }

    /// A content chunk's event with its text left open (the same serializer writes it as a whole chunk).
    static func contentTemplate(id: String, model: String, created: Int) -> JSONStringTemplate? {
        JSONStringTemplate(
            OpenAIChatResponse.chunk(
                id: id, model: model, created: created, delta: ["content": JSONStringTemplate.slot]),
            before: "data: ", after: "\n\n")
    }
}
