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
        do {
            for try await chunk in chunks {
                try await writer.writeBody(event(JSONResponses.chunk(chunk)))
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
