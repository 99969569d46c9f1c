import Testing

@testable import RPC

@Suite struct RouterTests {
    private func router() -> Router {
        var router = Router(notFound: { _, _, _ in }, methodNotAllowed: { _, _, _, _ in })
        router.add("GET", "/api/v1/models") { _, _, _ in }
        router.add("GET", prefix: "/api/v1/models/") { _, _, _ in }
        router.add("DELETE", prefix: "/api/v1/models/") { _, _, _ in }
        router.add("GET", prefix: "/api/") { _, _, _ in }
        return router
    }

    @Test func exactBeatsPrefixAndLongestPrefixWins() {
        let router = router()
        #expect(router.handlers(for: "/api/v1/models")?.keys.sorted() == ["GET"])
        #expect(router.handlers(for: "/api/v1/models/openai/gpt-oss-20b")?.keys.sorted() == ["DELETE", "GET"])
        #expect(router.handlers(for: "/api/other")?.keys.sorted() == ["GET"])
    }

    @Test func prefixAloneAndUnknownPathsDoNotMatch() {
        let router = router()
        // "/api/v1/models/" with nothing after it falls through to the shorter "/api/" prefix.
        #expect(router.handlers(for: "/api/v1/models/")?.keys.sorted() == ["GET"])
        #expect(router.handlers(for: "/nope") == nil)
        #expect(router.handlers(for: "/api/") == nil)
    }

    /// Exact paths of one length are told apart by their bytes, and a path's methods gather in one entry.
    @Test func exactPathsOfOneLengthAndTheirMethods() {
        var router = router()
        router.add("POST", "/v1/embed") { _, _, _ in }
        router.add("POST", "/v1/model") { _, _, _ in }
        router.add("DELETE", "/v1/model") { _, _, _ in }
        #expect(router.handlers(for: "/v1/embed")?.keys.sorted() == ["POST"])
        #expect(router.handlers(for: "/v1/model")?.keys.sorted() == ["DELETE", "POST"])
        #expect(router.handlers(for: "/v1/mode") == nil)
        #expect(router.handlers(for: "/v1/Model") == nil)
    }

    @Test func splitsTargetIntoPathAndQuery() {
        #expect(ServerRequest.splitTarget("/a?b=1&c") == ("/a", "b=1&c"))
        #expect(ServerRequest.splitTarget("/a") == ("/a", ""))
        #expect(ServerRequest.splitTarget("/a?") == ("/a", ""))
    }

    @Test func headerFieldsAreCaseInsensitiveAndOrdered() {
        var fields: HTTPFields = ["X-Request-ID": "1"]
        fields.append("x-multi", "a")
        fields.append("X-Multi", "b")
        #expect(fields["x-request-id"] == "1")
        #expect(fields.values("x-multi") == ["a", "b"])
        fields.set("x-multi", "c")
        #expect(fields.values("X-MULTI") == ["c"])
    }
}
