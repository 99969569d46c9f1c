import Testing

@testable import Gateway

@Suite struct ParsedURLsTests {
    @Test func aURLIsParsedOnceAndServedUntilTheTableIsFull() {
        let urls = ParsedURLs(capacity: 2)
        let chat = urls.parsed("http://127.0.0.1:8000/v1/chat/completions")
        #expect(chat != nil)
        #expect(urls.parsed("http://127.0.0.1:8000/v1/chat/completions") == chat)
        let models = urls.parsed("http://[::1]:8000/v1/models")
        #expect(models != nil && models != chat)
        // Full: a third URL is left to curl, the first two are still served.
        #expect(urls.parsed("http://127.0.0.1:9000/api/chat") == nil)
        #expect(urls.parsed("http://[::1]:8000/v1/models") == models)
    }

    @Test func aURLCurlCannotParseIsLeftToTheTransferToFail() {
        let urls = ParsedURLs(capacity: 4)
        #expect(urls.parsed("http://[::1/v1/models") == nil)
        #expect(urls.parsed("http://host:99999/") == nil)
    }
}
