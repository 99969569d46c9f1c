import Testing

@testable import Gateway

@Suite struct ResponseHeadersTests {
    private func headers(_ lines: [String]) -> ResponseHeaders {
        var headers = ResponseHeaders()
        for line in lines {
            _ = Array(line.utf8).withUnsafeBytes { headers.take(line: $0) }
        }
        return headers
    }

    @Test func namesAreLowerCasedAndValuesTrimmed() {
        let parsed = headers([
            "HTTP/1.1 429 Too Many Requests\r\n", "Retry-After:  7 \r\n", "Content-Type:\tapplication/json\r\n",
            "X-Empty:\r\n", "no colon here\r\n",
        ])
        #expect(parsed.fields.map(\.name) == ["retry-after", "content-type", "x-empty"])
        #expect(parsed.value("retry-after") == "7")
        #expect(parsed.value("content-type") == "application/json")
        #expect(parsed.value("x-empty") == "")
        #expect(parsed.value("date") == nil)
    }

    @Test func aNewStatusLineStartsOver() {
        let parsed = headers(["HTTP/1.1 100 Continue\r\n", "X-Interim: 1\r\n", "HTTP/1.1 200 OK\r\n", "X-Final: 2\n"])
        #expect(parsed.fields.map(\.name) == ["x-final"])
        #expect(parsed.value("x-final") == "2")
    }
}
