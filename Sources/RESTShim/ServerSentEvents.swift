import Gateway
import RPC
import Reactor

/// Streams generation chunks as `text/event-stream`: one `data:` event per chunk, flushed as it comes, and
/// `event: error` when the upstream fails after the stream began.
enum ServerSentEvents {
    static func event(_ json: JSON, name: String? = nil) -> [UInt8] {
        var out: [UInt8] = []
        if let name {
            out.appendBytes("event: ")
            out.appendUTF8(name)
            out.append(0x0A)
        }
        out.appendBytes("data: ")
        JSONSerializer.write(json, into: &out)
        out.appendBytes("\n\n")
        return out
    }

    /// Relays `chunks` to the client, and closes them however the relay ends (a client gone included).
    static func relay(_ chunks: GenerationStream, to writer: any ResponseWriter, _ context: CallContext) async {
        defer { chunks.close() }
        var head = ResponseHead(
            status: 200, headers: ["content-type": "text/event-stream", "cache-control": "no-cache"])
        RESTResponses.decorate(&head, context)
        do {
            try await writer.writeHead(head)
        } catch {
            return  // the client is gone
        }
        do {
            try await chunks.relay(to: ResponseBodySink(TextChunks(), writer: writer))
        } catch is ResponseWriteError {
            return  // the client went away mid-stream
        } catch {
            let domain = error as? GatewayError ?? GatewayError(.internalError, "the stream failed")
            try? await writer.writeBody(
                event(RESTResponses.errorBody(domain, requestID: context.requestID), name: "error"))
        }
        try? await writer.finish(head: nil, trailers: HTTPFields())
    }
}

/// Writes a stream's events; most are a piece of text in the same object, written from bytes made once per
/// stream rather than a JSON tree per chunk.
struct TextChunks: ChunkEncoder {
    private var template: JSONStringTemplate?
    private var madeFor: (id: String, model: String, provider: String)?

    mutating func encode(_ batch: ChunkBatch, into out: inout [UInt8]) {
        for piece in batch.pieces { write(piece, of: batch, into: &out) }
    }

    mutating func write(_ piece: ChunkBatch.Piece, of batch: ChunkBatch, into out: inout [UInt8]) {
        switch piece {
        case .text(let content):
            writeText(content, id: batch.id, model: batch.model, provider: batch.provider, into: &out)
        case .chunk(let chunk): write(chunk, into: &out)
        }
    }

    mutating func write(_ chunk: GenerateChunk, into out: inout [UInt8]) {
        guard !chunk.done, chunk.toolCalls.isEmpty, chunk.reasoning == nil else {
            return out.append(contentsOf: ServerSentEvents.event(JSONResponses.chunk(chunk)))
        }
        writeText(chunk.content, id: chunk.id, model: chunk.model, provider: chunk.provider, into: &out)
    }

    private mutating func writeText(
        _ content: String, id: String, model: String, provider: String, into out: inout [UInt8]
    ) {
        if madeFor?.id != id || madeFor?.model != model || madeFor?.provider != provider {
            let slot = GenerateChunk(id: id, model: model, provider: provider, content: "\u{0}")
            template = JSONStringTemplate(JSONResponses.chunk(slot), before: "data: ", after: "\n\n")
            madeFor = (id, model, provider)
        }
        guard let template else {
            let chunk = GenerateChunk(id: id, model: model, provider: provider, content: content)
            return out.append(contentsOf: ServerSentEvents.event(JSONResponses.chunk(chunk)))
        }
        template.write(content, into: &out)
    }
}
