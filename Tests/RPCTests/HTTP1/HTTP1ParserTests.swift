import Testing

@testable import RPC

/// Records what the parser reports.
private final class Recorder: HTTP1ParserDelegate {
    var heads: [HTTP1RequestHead] = []
    var bodies: [[UInt8]] = []

    func parserBeganMessage() {}
    func parserParsedHead(_ head: HTTP1RequestHead) { heads.append(head) }
    func parserCompletedMessage(body: [UInt8]) { bodies.append(body) }
}

private func parse(_ text: String, maxHead: Int = 8192, maxBody: Int = 1 << 20, splitEvery: Int? = nil)
    -> (Recorder, Result<Void, HTTP1ParseError>)
{
    let recorder = Recorder()
    let parser = HTTP1Parser(delegate: recorder, maxHeadBytes: maxHead, maxBodyBytes: maxBody)
    let bytes = Array(text.utf8)
    var result: Result<Void, HTTP1ParseError> = .success(())
    var index = 0
    let step = splitEvery ?? max(bytes.count, 1)
    // Each read lands in the same buffer, overwritten by the next, as a connection's reads do: a part the
    // parser kept pointing into an earlier read would come out as the later read's bytes.
    var read = [UInt8](repeating: 0, count: step)
    while index < bytes.count, case .success = result {
        let piece = bytes[index..<min(index + step, bytes.count)]
        read.withUnsafeMutableBufferPointer { buffer in
            for (offset, byte) in piece.enumerated() { buffer[offset] = byte }
            for offset in piece.count..<buffer.count { buffer[offset] = 0xEE }
        }
        result = parser.feed(read[0..<piece.count])
        index += step
    }
    return (withExtendedLifetime(parser) { recorder }, result)
}

private func failureStatus(_ result: Result<Void, HTTP1ParseError>) -> Int? {
    if case .failure(let error) = result { return error.status }
    return nil
}

@Suite struct HTTP1ParserTests {
    @Test func parsesHeadAndContentLengthBody() throws {
        let (recorder, result) = parse(
            "POST /a/b?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nX-Pad:  v  \r\n\r\nhello")
        #expect(failureStatus(result) == nil)
        let head = try #require(recorder.heads.first)
        #expect(head.method == "POST")
        #expect(head.target == "/a/b?x=1")
        #expect(head.headers["host"] == "h")
        #expect(head.headers["x-pad"] == "v")
        #expect(head.contentLength == 5)
        #expect(head.keepAlive)
        #expect(recorder.bodies == [Array("hello".utf8)])
    }

    /// Names come out lower-cased in every position of every letter, whole or split across reads, and a
    /// name that only begins like another (`accepts`) is its own.
    @Test(arguments: [nil, 3])
    func headerNamesAreLowerCasedCommonOrNot(splitEvery: Int?) throws {
        let (recorder, result) = parse(
            "GET / HTTP/1.1\r\ncOnTeNt-TyPe: text/plain\r\nHOST: h\r\nX-Api-Key: k\r\nAccepts: a\r\n"
                + "User-Agent: u\r\nX-Custom-Thing: c\r\n\r\n", splitEvery: splitEvery)
        #expect(failureStatus(result) == nil)
        let head = try #require(recorder.heads.first)
        #expect(
            head.headers.entries.map(\.name) == [
                "content-type", "host", "x-api-key", "accepts", "user-agent", "x-custom-thing",
            ])
        #expect(head.headers.entries.map(\.value) == ["text/plain", "h", "k", "a", "u", "c"])
    }

    /// Names are stored lower-cased (lookups do no case folding), values without surrounding blanks, at
    /// any split of the input; a name with a non-ASCII byte is not a token and is refused.
    @Test func storesNamesLowerCasedAndValuesTrimmedAtEverySplit() throws {
        let request = "GET / HTTP/1.1\r\nHOST: h\r\nX-Mixed-Case: a b \t\r\nx-empty:\r\n\r\n"
        for split in [1, 2, 3, 7, request.utf8.count] {
            let (recorder, result) = parse(request, splitEvery: split)
            #expect(failureStatus(result) == nil)
            let head = try #require(recorder.heads.first)
            #expect(head.headers.entries.map(\.name) == ["host", "x-mixed-case", "x-empty"])
            #expect(head.headers.entries.map(\.value) == ["h", "a b", ""])
        }
        #expect(failureStatus(parse("GET / HTTP/1.1\r\nX-\u{E9}: v\r\n\r\n").1) == 400)
    }

    @Test func parsesChunkedBodySplitAtEveryByte() {
        let request = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n"
        let (recorder, result) = parse(request, splitEvery: 1)
        #expect(failureStatus(result) == nil)
        #expect(recorder.heads.first?.contentLength == nil)
        #expect(recorder.bodies == [Array("abcde".utf8)])
    }

    @Test func parsesPipelinedRequestsInOrder() {
        let (recorder, result) = parse(
            "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nContent-Length: 1\r\n\r\nxGET /3 HTTP/1.1\r\nConnection: close\r\n\r\n"
        )
        #expect(failureStatus(result) == nil)
        #expect(recorder.heads.map(\.target) == ["/1", "/2", "/3"])
        #expect(recorder.bodies == [[], [UInt8(ascii: "x")], []])
        #expect(recorder.heads.map(\.keepAlive) == [true, true, false])
    }

    @Test func http10DefaultsToClose() {
        let (recorder, _) = parse("GET / HTTP/1.0\r\n\r\n")
        #expect(recorder.heads.first?.keepAlive == false)
    }

    // Request smuggling: every ambiguity about where a body ends is an error, never a guess.
    @Test func rejectsContentLengthWithTransferEncoding() {
        let (recorder, result) = parse(
            "POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n"
        )
        #expect(failureStatus(result) == 400)
        #expect(!recorder.heads.contains { $0.target == "/smuggled" })
    }

    @Test func rejectsConflictingContentLengths() {
        let (_, result) = parse("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
        #expect(failureStatus(result) == 400)
    }

    @Test func rejectsTransferEncodingThatDoesNotEndInChunked() {
        let (_, result) = parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n")
        #expect(failureStatus(result) == 400)
    }

    @Test func rejectsInvalidChunkSize() {
        let (_, result) = parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")
        #expect(failureStatus(result) == 400)
    }

    @Test func rejectsObsoleteLineFolding() {
        let (recorder, result) = parse("GET / HTTP/1.1\r\nX-A: one\r\n two\r\nHost: h\r\n\r\n")
        #expect(failureStatus(result) == 400)
        #expect(recorder.heads.isEmpty)
    }

    @Test func acceptsBareLFLineEndingsConsistently() {
        // RFC 9112 §2.2 lets a recipient accept a lone LF as a line terminator; we do, for the head only,
        // and the body boundary is still exactly Content-Length.
        let (recorder, result) = parse("POST / HTTP/1.1\nContent-Length: 2\nX-A: b\n\nokGET /next HTTP/1.1\n\n")
        #expect(failureStatus(result) == nil)
        #expect(recorder.heads.map(\.target) == ["/", "/next"])
        #expect(recorder.bodies.first == Array("ok".utf8))
        #expect(recorder.heads.first?.headers["x-a"] == "b")
    }

    @Test func rejectsBareCRInHeader() {
        let (_, result) = parse("GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n")
        #expect(failureStatus(result) == 400)
    }

    @Test func rejectsOversizedRequestLineAndHeaders() {
        let longTarget = "/" + String(repeating: "a", count: 10_000)
        #expect(failureStatus(parse("GET \(longTarget) HTTP/1.1\r\n\r\n", maxHead: 4096).1) == 431)
        let longHeader = "X-Big: " + String(repeating: "b", count: 10_000)
        #expect(
            failureStatus(parse("GET / HTTP/1.1\r\n\(longHeader)\r\n\r\n", maxHead: 4096, splitEvery: 100).1) == 431)
    }

    @Test func rejectsDeclaredOversizedBodyAfterReportingTheHead() {
        let (recorder, result) = parse("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n", maxBody: 10)
        #expect(failureStatus(result) == 413)
        #expect(recorder.heads.count == 1)
        #expect(recorder.bodies.isEmpty)
    }

    @Test func rejectsChunkedBodyThatGrowsPastTheLimit() {
        let (_, result) = parse(
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n",
            maxBody: 10)
        #expect(failureStatus(result) == 413)
    }

    @Test func rejectsGarbage() {
        #expect(failureStatus(parse("\u{16}\u{03}\u{01}\u{02}\u{00}garbage\r\n\r\n").1) == 400)
        #expect(failureStatus(parse("GET / FTP/1.1\r\n\r\n").1) == 400)
    }
}
