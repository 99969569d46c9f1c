import Gateway
import RESTShim
import RPC
import Reactor

/// A response captured in memory: the same routes the server runs, without a socket.
final class RecordingWriter: ResponseWriter, @unchecked Sendable {
    private let state = Locked<(head: ResponseHead?, body: [UInt8], finished: Bool)>((nil, [], false))

    func writeHead(_ head: ResponseHead) async throws { state.withLock { $0.head = head } }
    func writeBody(_ bytes: [UInt8]) async throws { state.withLock { $0.body += bytes } }
    func finish(head: ResponseHead?, trailers: HTTPFields) async throws {
        state.withLock { state in
            if state.head == nil { state.head = head }
            state.finished = true
        }
    }

    var status: Int { state.withLock { $0.head?.status ?? 0 } }
    var headers: HTTPFields { state.withLock { $0.head?.headers ?? HTTPFields() } }
    var text: String { state.withLock { String(decoding: $0.body, as: UTF8.self) } }
    var json: JSON { (try? JSONParser.parse(state.withLock { $0.body })) ?? .null }
    var finished: Bool { state.withLock { $0.finished } }
}

/// The REST shim on a gateway with only the builtin echo model.
struct InMemoryShim {
    let router: Router
    let loop = EventLoop()

    init(yaml: String = "providers:\n  - {name: builtin, type: builtin}\nserver:\n  max_request_bytes: 2048") throws {
        router = RESTShim(gateway: ModelGateway(config: try ConfigLoader.parse(yaml, file: "t"))).router()
    }

    func send(
        _ method: String, _ target: String, body: String = "", headers: HTTPFields = HTTPFields(),
        tooLarge: Bool = false
    )
        async -> RecordingWriter
    {
        let (path, query) =
            target.firstIndex(of: "?").map { (String(target[..<$0]), String(target[target.index(after: $0)...])) }
            ?? (target, "")
        let request = ServerRequest(
            method: method, path: path, query: query, headers: headers, body: Array(body.utf8), version: .http1_1,
            bodyTooLarge: tooLarge)
        let writer = RecordingWriter()
        await router.respond(to: request, writer: writer, context: RequestContext(eventLoop: loop))
        return writer
    }
}
