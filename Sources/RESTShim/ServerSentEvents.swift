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

    static func relay(_ chunks: GenerationStream, to writer: any ResponseWriter, requestID: String, headers: HTTPFields)
        async
    {
        var head = ResponseHead(status: 200, headers: headers)
        head.headers.set("content-type", "text/event-stream")
        head.headers.set("cache-control", "no-cache")
        head.headers.set("x-request-id", requestID)
        do {
            try await writer.writeHead(head)
        } catch {
            return  // the client is gone; dropping `chunks` cancels the upstream call
        }
        do {
            for try await chunk in chunks {
                try await writer.writeBody(event(JSONResponses.chunk(chunk)))
            }
        } catch let error as ResponseWriteError {
            _ = error
            return  // the client went away mid-stream
        } catch {
            let domain = error as? GatewayError ?? GatewayError(.internalError, "the stream failed")
            try? await writer.writeBody(event(RESTResponses.errorBody(domain, requestID: requestID), name: "error"))
        }
        try? await writer.finish(head: nil, trailers: HTTPFields())
    }
}
