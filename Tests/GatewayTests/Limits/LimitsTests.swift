import Testing

@testable import Gateway

@Suite struct CircuitBreakerTests {
    /// A half-open probe that ended without a verdict (client cancel, deadline, invalid request, a limiter
    /// refusal) left the probe flag set: the provider stayed shut out until restart.
    @Test func aProbeHandedBackLetsTheNextCallProbe() async throws {
        let breaker = CircuitBreaker(threshold: 1, cooldown: .milliseconds(1))
        #expect(breaker.admit("p") == .closed)
        breaker.recordFailure("p")
        try await Task.sleep(for: .milliseconds(5))  // the cool-down
        #expect(breaker.admit("p") == .probe)
        #expect(breaker.admit("p") == nil)  // one probe at a time
        breaker.releaseProbe("p")
        #expect(breaker.admit("p") == .probe)
        breaker.recordSuccess("p")
        #expect(breaker.admit("p") == .closed && !breaker.isOpen("p"))
    }
}

extension CircuitBreakerTests {
    /// Failures count while they are consecutive: a success starts the count again, for its provider only.
    @Test func aSuccessResetsItsProvidersFailuresOnly() {
        let breaker = CircuitBreaker(threshold: 3, cooldown: .seconds(60))
        breaker.recordSuccess("a")  // a success with nothing recorded
        for _ in 0..<2 {
            breaker.recordFailure("a")
            breaker.recordFailure("b")
        }
        breaker.recordSuccess("a")
        breaker.recordFailure("a")
        breaker.recordFailure("a")
        breaker.recordFailure("b")
        #expect(breaker.admit("a") == .closed)  // two since the success
        #expect(breaker.admit("b") == nil && breaker.isOpen("b"))  // three in a row
        breaker.recordFailure("a")
        #expect(breaker.admit("a") == nil)
    }
}

@Suite struct RateLimitStoreTests {
    /// With authentication off every bearer value is a key: the buckets must not grow without bound.
    @Test func bucketsAreBoundedAndFullOnesGoFirst() async {
        let store = InProcessRateLimitStore(maxBuckets: 100)
        let limit = RateLimit(requestsPerMinute: 1)
        for index in 0..<100 { #expect(await store.take("key:\(index)", limit: limit) == nil) }
        // All 100 are in use (empty); a new key finds no room and is let through unlimited.
        #expect(await store.take("key:new", limit: limit) == nil)
        #expect(await store.take("key:new", limit: limit) == nil)
        // Known keys are still limited.
        #expect(await store.take("key:0", limit: limit) != nil)
    }

    /// Calls that alternate between models, providers and keys each land in their own rows.
    @Test func usageRowsAddUpPerModelProviderAndKey() {
        let ledger = UsageLedger()
        // Names repeat right after a change (m2, k1) and after a gap (m1, p2): the row kept in hand is hit both ways.
        let calls = [("m1", "p1", "k1"), ("m2", "p1", "k1"), ("m2", "p2", "k2"), ("m1", "p1", "k1"), ("m2", "p2", nil)]
        for (index, (model, provider, key)) in calls.enumerated() {
            ledger.record(
                model: model, provider: provider, key: key, tokens: TokenCounts(input: index + 1, output: 10),
                cost: 0.5)
        }
        let report = ledger.report()
        func rows(_ rows: [(String, UsageLedger.Totals)]) -> [String] {
            rows.map { "\($0.0):\($0.1.requests)/\($0.1.tokensInput)/\($0.1.tokensOutput)" }
        }
        #expect(rows(report.byModel) == ["m1:2/5/20", "m2:3/10/30"])
        #expect(rows(report.byProvider) == ["p1:3/7/30", "p2:2/8/20"])
        #expect(rows(report.byKey) == ["anonymous:1/5/10", "k1:3/7/30", "k2:1/3/10"])
        #expect(report.totals.requests == 5 && report.totals.tokensInput == 15 && report.totals.costUSD == 2.5)
    }

    @Test func usageKeepsABoundedNumberOfKeyRows() {
        let ledger = UsageLedger()
        for index in 0..<(UsageLedger.maxKeyRows + 50) {
            ledger.record(
                model: "m", provider: "p", key: UsageLedger.keyID("k\(index)"),
                tokens: TokenCounts(input: 1, output: 1), cost: 0)
        }
        let rows = ledger.report().byKey
        #expect(rows.count == UsageLedger.maxKeyRows + 1)
        #expect(rows.first { $0.0 == "other" }?.1.requests == 50)
    }
}

@Suite struct RESPReaderTests {
    func read(_ text: String, every step: Int = 1) throws -> [RESPReply] {
        var reader = RESPReader()
        var replies: [RESPReply] = []
        let bytes = Array(text.utf8)
        for offset in stride(from: 0, to: bytes.count, by: step) {
            reader.append(bytes[offset..<min(offset + step, bytes.count)])
            while let reply = try reader.next() { replies.append(reply) }
        }
        return replies
    }

    @Test func readsEveryTypeSplitAnywhere() throws {
        let text = "+OK\r\n-ERR bad\r\n:42\r\n$3\r\nabc\r\n$-1\r\n*2\r\n:1\r\n$1\r\nx\r\n*-1\r\n"
        let expected: [RESPReply] = [
            .simple("OK"), .error("ERR bad"), .integer(42), .bulk(Array("abc".utf8)), .bulk(nil),
            .array([.integer(1), .bulk([UInt8(ascii: "x")])]), .array(nil),
        ]
        #expect(try read(text) == expected)
        #expect(try read(text, every: 1000) == expected)
    }

    /// `length + 2` overflowed for a bulk length near Int.max; nesting and counts were unbounded.
    @Test func refusesWhatWouldOverflowOrExhaust() {
        for hostile in [
            "$9223372036854775807\r\n", "$2000000\r\n", "*100000000\r\n", String(repeating: "*1\r\n", count: 20),
            ":99999999999999999999\r\n", "?what\r\n", "$3\r\nabcXY",
        ] {
            #expect(throws: RESPProtocolError.self) { _ = try read(hostile, every: 64) }
        }
        #expect(throws: RESPProtocolError.self) { _ = try read(String(repeating: "a", count: 70_000), every: 4096) }
    }
}
