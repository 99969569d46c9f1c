import Reactor

@testable import RPC

/// The HTTP/1.1 request side: pipelined requests split anywhere through the parser, heads and bodies
/// within their limits, and the request target split.
enum HTTP1Fuzz {
    final class Collector: HTTP1ParserDelegate {
        var heads: [HTTP1RequestHead] = []
        var bodies: [[UInt8]] = []
        func parserBeganMessage() {}
        func parserParsedHead(_ head: HTTP1RequestHead) { heads.append(head) }
        func parserCompletedMessage(body: [UInt8]) { bodies.append(body) }
    }

    static func run(_ bytes: [UInt8]) {
        guard let seed = bytes.first else { return }
        let collector = Collector()
        let parser = HTTP1Parser(delegate: collector, maxHeadBytes: 2048, maxBodyBytes: 4096)
        for piece in FuzzSplit.pieces(bytes.dropFirst(), seed: seed) {
            if case .failure(let error) = parser.feed(piece) {
                fuzzCheck([400, 413, 431, 505].contains(error.status), "unexpected status \(error.status)")
                break
            }
        }
        for head in collector.heads {
            // The budget counts wire bytes; a byte that is not UTF-8 (obs-text) becomes U+FFFD, three bytes.
            let size = head.headers.entries.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
            fuzzCheck(size <= 3 * 2048, "head")
            let (path, query) = ServerRequest.splitTarget(head.target)
            fuzzCheck(path.utf8.count + query.utf8.count <= head.target.utf8.count, "target split")
        }
        fuzzCheck(collector.bodies.allSatisfy { $0.count <= 4096 }, "body over the limit")
    }
}

/// HTTP/2 frames after the preface into a server session with callbacks that act as the server does:
/// answer complete requests, reopen windows, reset streams whose headers grow too large.
enum HTTP2Fuzz {
    final class Server: HTTP2SessionDelegate {
        var session: HTTP2Session?
        var bodies: [Int32: Int] = [:]
        var headerBytes: [Int32: Int] = [:]

        func streamBegan(_ id: Int32) { bodies[id] = 0 }
        func streamHeader(_ id: Int32, name: Span<UInt8>, value: Span<UInt8>) -> Bool {
            headerBytes[id, default: 0] += name.count + value.count
            return headerBytes[id, default: 0] <= 4096
        }
        func streamHeadersComplete(_ id: Int32) {}
        func streamData(_ id: Int32, length: Int, copy: (inout [UInt8]) -> Void) {
            var scratch: [UInt8] = []
            copy(&scratch)
            fuzzCheck(scratch.count == length, "DATA length")
            bodies[id, default: 0] += length
            if bodies[id, default: 0] > 65536 { session?.reset(id, errorCode: HTTP2Session.cancelError) }
            session?.consume(id, length)
        }
        func streamEnded(_ id: Int32) {
            guard let session, session.respond(id, head: ResponseHead(status: 200), endStream: false) else { return }
            _ = session.enqueue(id, Array(repeating: 0x61, count: id % 3 == 0 ? 70_000 : 10))
            session.finish(id, trailers: id % 2 == 0 ? ["grpc-status": "0"] : nil)
        }
        func streamResponseSent(_ id: Int32) {}
        func streamClosed(_ id: Int32, errorCode: UInt32) { bodies[id] = nil }
        func streamOutboxDrained(_ id: Int32) {}
    }

    /// The session is loop-confined: every input runs on this loop.
    static let loops: EventLoopGroup = {
        let group = EventLoopGroup(count: 1)
        group.start()
        return group
    }()

    static func run(_ bytes: [UInt8]) {
        loops.loops[0].runAndWait { runOnLoop(bytes) }
    }

    static func runOnLoop(_ bytes: [UInt8]) {
        guard let seed = bytes.first else { return }
        var limits = ServerLimits()
        limits.maxConcurrentStreams = 16
        let server = Server()
        guard let session = HTTP2Session(delegate: server, limits: limits, loop: loops.loops[0]) else { return }
        server.session = session
        var output: [UInt8] = []
        let input = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + bytes.dropFirst()
        for piece in FuzzSplit.pieces(input[...], seed: seed) {
            guard session.receive(piece) else { break }
            output.removeAll(keepingCapacity: true)
            session.drainOutput(into: &output, limit: 1 << 20)
        }
        output.removeAll()
        session.drainOutput(into: &output, limit: 1 << 20)
    }
}
