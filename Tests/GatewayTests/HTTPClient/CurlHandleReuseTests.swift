import Reactor
import Testing

@testable import Gateway

/// Easy handles are reused without `curl_easy_reset`: nothing one request set — its headers, body, method or
/// time limit — may reach the next request on the same handle.
@Suite(.serialized) struct CurlHandleReuseTests {
    private static let rounds = 4

    private func chat(_ prompt: String) -> [UInt8] {
        Array(#"{"model":"m","messages":[{"role":"user","content":"\#(prompt)"}]}"#.utf8)
    }

    @Test func aGetAfterAPostCarriesNoneOfItsHeadersOrBody() async throws {
        let fake = try FakeUpstream(kind: "openai", models: ["m"])
        let client = HTTPClient()
        for round in 0..<Self.rounds {
            let post = try await client.send(
                UpstreamRequest(
                    method: "POST", url: fake.baseURL + "/v1/chat/completions",
                    headers: [("content-type", "application/json"), ("x-post-round", "\(round)")],
                    body: chat("round \(round)")))
            #expect(post.status == 200)
            _ = try await post.body.collect()
            let get = try await client.send(
                UpstreamRequest(url: fake.baseURL + "/v1/models", headers: [("x-get-round", "\(round)")]))
            #expect(get.status == 200)
            _ = try await get.body.collect()
        }

        let log = try await fake.log()
        let gets = log.filter { $0["event"]?.stringValue == "get" && $0["path"]?.stringValue == "/v1/models" }
        let posts = try await fake.requests(path: "/v1/chat/completions")
        #expect(gets.count == Self.rounds)
        #expect(posts.count == Self.rounds)
        for (round, get) in gets.enumerated() {
            let headers = get["headers"]
            #expect(headers?["x-get-round"]?.stringValue == "\(round)")
            #expect(headers?["x-post-round"] == nil, "a POST's header reached the next GET")
            #expect(headers?["content-length"] == nil && headers?["content-type"] == nil, "a POST's body reached a GET")
        }
        for (round, post) in posts.enumerated() {
            #expect(post["headers"]?["x-post-round"]?.stringValue == "\(round)")
            #expect(post["headers"]?["x-get-round"] == nil, "a GET's header reached the next POST")
            #expect(post["body"]?["messages"]?.arrayValue?.first?["content"]?.stringValue == "round \(round)")
        }
        #expect(client.liveTransfers.current == 0)
    }

    /// curl's own `Accept: */*` is left out, and its `Expect: 100-continue` too, for a small body and for one
    /// large enough that curl would add it.
    @Test func noAcceptOrExpectHeaderWhateverTheBodySize() async throws {
        let fake = try FakeUpstream(kind: "openai", models: ["m"])
        let client = HTTPClient()
        let large = String(repeating: "x", count: 2 << 20)
        for prompt in ["small", large, "small again"] {
            let post = try await client.send(
                UpstreamRequest(
                    method: "POST", url: fake.baseURL + "/v1/chat/completions",
                    headers: [("content-type", "application/json")], body: chat(prompt)))
            #expect(post.status == 200)
            _ = try await post.body.collect()
        }
        let posts = try await fake.requests(path: "/v1/chat/completions")
        #expect(posts.count == 3)
        for post in posts {
            #expect(post["headers"]?["expect"] == nil)
            #expect(post["headers"]?["accept"] == nil)
        }
        #expect(
            posts.map { $0["body"]?["messages"]?.arrayValue?.first?["content"]?.stringValue?.count } == [
                5, 2 << 20, 11,
            ])
    }

    /// Sockets curl stops watching stay in the loop's epoll set until something happens on them or curl closes
    /// them. One curl closed must leave it at once: a new socket often gets its number, and if that number
    /// were taken for the parked socket the new one might never be watched. Run on a loop of the test's own,
    /// whose multi no other test uses.
    @Test func connectionsClosedBetweenRequestsLeaveTheLoop() async throws {
        let fake = try FakeUpstream(kind: "openai", models: ["m"])
        let group = EventLoopGroup(count: 1)
        group.start()
        defer { group.shutdown() }
        try await withTaskExecutorPreference(group.loops[0]) {
            let client = HTTPClient()
            func post(_ prompt: String) async throws {
                let answer = try await client.send(
                    UpstreamRequest(
                        method: "POST", url: fake.baseURL + "/v1/chat/completions",
                        headers: [("content-type", "application/json")], body: chat(prompt),
                        timeouts: UpstreamTimeouts(total: 10)))
                #expect(answer.status == 200)
                _ = try await answer.body.collect()
            }
            let multi = CurlMulti.current()
            #expect(multi.loop === group.loops[0])
            for round in 0..<Self.rounds {
                try await post("round \(round)")
                #expect(try await multi.socketsWatched() == 1, "a kept-alive connection stays, parked")
                try await post("round \(round) fault:conn_close")  // answered with `connection: close`
                #expect(try await multi.socketsWatched() == 0, "a socket curl closed is still watched")
                try await post("round \(round) fault:close_idle")  // the provider closes it once idle
                try await post("round \(round) after")
            }
            #expect(client.liveTransfers.current == 0)
        }
        #expect(try await fake.requests(path: "/v1/chat/completions").count == 4 * Self.rounds)
    }

    /// A finished transfer's body, still held by its reader, reaches no later transfer: cancelling it leaves
    /// the request that runs next alone (its transfer may well sit where the finished one did in memory).
    @Test func aFinishedTransfersBodyReachesNoLaterTransfer() async throws {
        let fake = try FakeUpstream(kind: "openai", models: ["m"])
        let client = HTTPClient()
        let url = fake.baseURL + "/v1/chat/completions"
        let first = try await client.send(
            UpstreamRequest(
                method: "POST", url: url, headers: [("content-type", "application/json")], body: chat("one")))
        _ = try await first.body.collect()
        let multi = CurlMulti.current()
        _ = try await multi.socketsWatched()  // the loop is done finishing the transfer
        #expect(client.liveTransfers.current == 0, "a finished transfer is kept alive by its body")
        let slow = #"{"model":"m","stream":true,"messages":[{"role":"user","content":"fault:slow_content=200"}]}"#
        let second = try await client.send(
            UpstreamRequest(
                method: "POST", url: url, headers: [("content-type", "application/json")], body: Array(slow.utf8)))
        first.body.cancel()
        _ = try await multi.socketsWatched()  // the cancel reached the loop before this did
        let streamed = try await second.body.collect()
        #expect(String(decoding: streamed, as: UTF8.self).contains("data: [DONE]"))
        _ = try await multi.socketsWatched()
        #expect(client.liveTransfers.current == 0)
    }

    @Test func aTimeLimitEndsWithItsRequest() async throws {
        let fake = try FakeUpstream(kind: "openai", models: ["m"])
        let client = HTTPClient()
        for _ in 0..<Self.rounds {
            let limited = UpstreamRequest(
                method: "POST", url: fake.baseURL + "/v1/chat/completions", body: chat("fault:hang"),
                timeouts: UpstreamTimeouts(total: 0.2))
            await #expect(throws: GatewayError.self) { _ = try await client.send(limited) }
            // Slower than the previous request's limit, and allowed to be: it has none.
            let unlimited = try await client.send(
                UpstreamRequest(
                    method: "POST", url: fake.baseURL + "/v1/chat/completions", body: chat("fault:slow_first=400")))
            #expect(unlimited.status == 200)
            _ = try await unlimited.body.collect()
        }
    }
}
