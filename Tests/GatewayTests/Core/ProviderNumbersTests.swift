import Testing

@testable import Gateway

/// Numbers read from providers (and the totals built from them) never trap, whatever a provider sends.
@Suite struct ProviderNumbersTests {
    @Test func countsAreClampedWholeNumbers() {
        #expect(JSON.number(42).countValue == 42)
        #expect(JSON.number(9e15).countValue == JSON.largestCount)
        #expect(JSON.number(1e300).countValue == JSON.largestCount)
        #expect(JSON.number(-5).countValue == 0)
        #expect(JSON.number(3.7).countValue == 3)
        #expect(JSON.string("12").countValue == nil)
        #expect(JSON.null.countValue == nil)
    }

    /// An upstream reporting ~9e15 tokens per answer crashed the process after about a thousand answers.
    @Test func usageTotalsSaturateInsteadOfTrapping() {
        let ledger = UsageLedger()
        for _ in 0..<3 {
            ledger.record(
                model: "m", provider: "p", key: nil, tokens: TokenCounts(input: .max / 2, output: .max), cost: .infinity
            )
        }
        let report = ledger.report()
        #expect(report.totals.tokensInput == .max)
        #expect(report.totals.tokensOutput == .max)
        #expect(report.totals.requests == 3)
        #expect(report.totals.costUSD == 0)
    }

    @Test func traceparentDigitsMustBeASCIIHex() {
        let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        #expect(TraceContext(traceparent: valid)?.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(TraceContext(traceparent: valid.uppercased().replacingOccurrences(of: "X", with: "x"))?.sampled == true)
        // Fullwidth digits are hex digits to Character.isHexDigit, and were accepted.
        let fullwidth = "00-４bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        #expect(TraceContext(traceparent: fullwidth) == nil)
        #expect(TraceContext(traceparent: "00-00000000000000000000000000000000-00f067aa0ba902b7-01") == nil)
        #expect(TraceContext(traceparent: "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") == nil)
        #expect(TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01") == nil)
    }

    @Test func clientRequestIDsAreKeptOnlyWhenSane() {
        #expect(RequestID.accepting("abc-123") == "abc-123")
        for bad in ["", "has space", "line\r\nbreak", "é", String(repeating: "x", count: 129)] {
            let decided = RequestID.accepting(bad)
            #expect(decided != bad && decided.utf8.count == 36)
        }
        #expect(RequestID.accepting(nil).utf8.count == 36)
    }
}

@Suite struct MetricsEscapingTests {
    /// A discovered model name holding CR LF was one Character, escaped as neither, and broke /metrics.
    @Test func labelValuesAreEscapedAsBytes() {
        #expect(MetricsRegistry.escape("plain:model/1") == "plain:model/1")
        #expect(MetricsRegistry.escape("a\r\nb") == "a\u{FFFD}\\nb")
        #expect(MetricsRegistry.escape("q\"b\\") == "q\\\"b\\\\")
        let registry = MetricsRegistry()
        registry.counter("c_total", help: "h", labels: ["model"])
        registry.add("c_total", ["evil\r\n# TYPE x counter\r\nx 1"])
        let lines = registry.render().split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.allSatisfy { !$0.contains("\r") })
    }
}

@Suite struct MetricsUpdateTests {
    /// Updates through a family in hand, several under one lock, land where updates by name land.
    @Test func aBatchUpdatesTheFamiliesItIsGiven() {
        let registry = MetricsRegistry()
        let requests = registry.counter("r_total", help: "h", labels: ["code"])
        let latency = registry.histogram("l_seconds", help: "h", labels: ["method"], buckets: [0.1, 1])
        #expect(registry.counter("r_total", help: "again", labels: ["code"]) === requests, "declared once")
        registry.add("r_total", ["ok"], 2)
        registry.update { batch in
            batch.add(requests, ["ok"])
            batch.add(requests, ["error"], 5)
            batch.observe(latency, ["generate"], 0.5)
        }
        #expect(registry.value("r_total", ["ok"]) == 3)
        #expect(registry.value("r_total", ["error"]) == 5)
        let text = registry.render()
        #expect(text.contains("l_seconds_bucket{method=\"generate\",le=\"0.1\"} 0\n"))
        #expect(text.contains("l_seconds_bucket{method=\"generate\",le=\"1\"} 1\n"))
        #expect(text.contains("l_seconds_count{method=\"generate\"} 1\n"))
    }

    /// Buckets are cumulative: each counts every observation up to its bound, `+Inf` all of them.
    @Test func histogramBucketsCountEverythingUpToTheirBound() {
        let registry = MetricsRegistry()
        let latency = registry.histogram("l_seconds", help: "h", labels: [], buckets: [0.1, 1, 10])
        registry.update { batch in
            for value in [0.05, 0.1, 0.5, 0.5, 5, 50] { batch.observe(latency, [], value) }
        }
        let text = registry.render()
        for (bound, count) in [("0.1", 2), ("1", 4), ("10", 5), ("+Inf", 6)] {
            #expect(text.contains("l_seconds_bucket{le=\"\(bound)\"} \(count)\n"), "le=\(bound)")
        }
        #expect(text.contains("l_seconds_count 6\n") && text.contains("l_seconds_sum 56.15\n"))
    }
}
