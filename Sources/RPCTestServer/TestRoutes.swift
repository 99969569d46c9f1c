import RPC

/// Plain HTTP endpoints of the test server, for HTTP/1.1 and HTTP/2 tests with curl.
enum TestRoutes {
    static func router() -> Router {
        var router = Router(
            notFound: { _, writer, _ in
                try? await writer.respond(ResponseHead(status: 404), body: Array("not found\n".utf8))
            },
            methodNotAllowed: { _, writer, _, allowed in
                try? await writer.respond(
                    ResponseHead(status: 405, headers: ["allow": allowed.joined(separator: ", ")]),
                    body: Array("method not allowed\n".utf8))
            })
        // Echoes the body, with the request's method, path and query in headers.
        router.add("POST", "/echo") { request, writer, _ in
            var head = ResponseHead(status: request.bodyTooLarge ? 413 : 200)
            head.headers.append("x-method", request.method)
            head.headers.append("x-query", request.query)
            head.headers.append("x-version", request.version.rawValue)
            if let id = request.headers["x-request-id"] { head.headers.append("x-request-id", id) }
            try? await writer.respond(head, body: request.bodyTooLarge ? Array("too large\n".utf8) : request.body)
        }
        router.add("GET", "/hello") { _, writer, _ in
            try? await writer.respond(
                ResponseHead(status: 200, headers: ["content-type": "text/plain"]), body: Array("hello\n".utf8))
        }
        // Streams `n` chunked lines, `delay_ms` apart: `GET /stream?n=5&delay_ms=10`.
        router.add("GET", "/stream") { request, writer, _ in
            let query = parseQuery(request.query)
            let count = query["n"].flatMap(Int.init) ?? 3
            let delay = query["delay_ms"].flatMap(Int.init) ?? 0
            do {
                try await writer.writeHead(ResponseHead(status: 200, headers: ["content-type": "text/plain"]))
                for index in 0..<count {
                    if index > 0, delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
                    try await writer.writeBody(Array("line \(index)\n".utf8))
                }
                try await writer.finish(head: nil, trailers: HTTPFields())
            } catch {}
        }
        // Sends `bytes` bytes of body: for flow-control tests with slow readers.
        router.add("GET", "/bulk") { request, writer, _ in
            let total = parseQuery(request.query)["bytes"].flatMap(Int.init) ?? 1 << 20
            do {
                try await writer.writeHead(
                    ResponseHead(status: 200, headers: ["content-type": "application/octet-stream"]))
                let block = [UInt8](repeating: UInt8(ascii: "x"), count: 16 * 1024)
                var sent = 0
                while sent < total {
                    let size = min(block.count, total - sent)
                    try await writer.writeBody(size == block.count ? block : Array(block[0..<size]))
                    sent += size
                }
                try await writer.finish(head: nil, trailers: HTTPFields())
            } catch {}
        }
        return router
    }

    static func parseQuery(_ query: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            result[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return result
    }
}
