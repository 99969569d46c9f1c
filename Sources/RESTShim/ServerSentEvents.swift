import Gateway
import RPC

/// Streams generation chunks as `text/event-stream`: one `data:` event per chunk, flushed as it comes, and
/// `event: error` when the upstream fails after the stream began.
enum ServerSentEvents {
    static func event(_ json: JSON, name: String? = nil) -> [UInt8] {
        var out: [UInt8] = []
        if let name { out.append(contentsOf: "event: \(name)\n".utf8) }
        out.append(contentsOf: "data: ".utf8)
        JSONSerializer.write(json, into: &out)
        out.append(contentsOf: "\n\n".utf8)
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
        var out: [UInt8] = []
        var text = TextChunks()
        do {
            while let batch = try await chunks.nextBatch() {
                out.removeAll(keepingCapacity: true)
                for chunk in batch { text.write(chunk, into: &out) }
                try await writer.writeBody(out)
            }
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
struct TextChunks {
    private var template: JSONStringTemplate?
    private var madeFor: (id: String, model: String, provider: String)?

    mutating func write(_ chunk: GenerateChunk, into out: inout [UInt8]) {
        guard !chunk.done, chunk.toolCalls.isEmpty, chunk.reasoning == nil else {
            return out.append(contentsOf: ServerSentEvents.event(JSONResponses.chunk(chunk)))
        }
        if madeFor?.id != chunk.id || madeFor?.model != chunk.model || madeFor?.provider != chunk.provider {
            var slot = chunk
            slot.content = "\u{0}"
            template = JSONStringTemplate(JSONResponses.chunk(slot))
            madeFor = (chunk.id, chunk.model, chunk.provider)
        }
        guard let template else { return out.append(contentsOf: ServerSentEvents.event(JSONResponses.chunk(chunk))) }
        out.append(contentsOf: "data: ".utf8)
        template.write(chunk.content, into: &out)
        out.append(contentsOf: "\n\n".utf8)
    }
}
