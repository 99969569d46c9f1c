import Testing

@testable import Gateway

/// The series a call's record keeps: they are the registry's own, counts go on across the table being
/// emptied, and a token kind never counted is not shown.
@Suite struct CallSeriesTests {
    @Test func keptSeriesAreTheRegistrysOwn() {
        let metrics = GatewayMetrics()
        for _ in 0..<2 {
            metrics.registry.update { batch in
                batch.add(metrics.callSeries.answered("generate", model: "small", provider: "p", batch, metrics))
                let served = metrics.callSeries.served(model: "m", provider: "p", batch, metrics)
                batch.add(served.tokens(.prompt, batch, metrics), 3)
                batch.add(served.tokens(.completion, batch, metrics), 4)
                batch.add(served.cost, 0.5)
                batch.observe(served.firstToken(batch, metrics), 0.2)
                batch.observe(metrics.callSeries.timing("generate", batch, metrics).duration, 0.3)
            }
        }
        let registry = metrics.registry
        #expect(registry.value("gateway_requests_total", ["generate", "small", "p", "ok"]) == 2)
        #expect(registry.value("gateway_tokens_total", ["m", "p", "prompt"]) == 6)
        #expect(registry.value("gateway_tokens_total", ["m", "p", "completion"]) == 8)
        #expect(registry.value("gateway_cost_usd_total", ["m", "p"]) == 1)
        let text = registry.render()
        #expect(text.contains("gateway_time_to_first_token_seconds_count{model=\"m\",provider=\"p\"} 2\n"))
        #expect(text.contains("gateway_request_duration_seconds_count{method=\"generate\"} 2\n"))
        #expect(!text.contains("cache_read"), "a kind never counted is not shown")
    }

    @Test func countsGoOnWhenTheTableIsEmptied() {
        let metrics = GatewayMetrics()
        let table = CallSeries(limit: 2)
        func answer(_ model: String) {
            metrics.registry.update { batch in
                batch.add(table.answered("generate", model: model, provider: "p", batch, metrics))
            }
        }
        for model in ["a", "b", "c", "a"] { answer(model) }  // "c" empties the full table; "a" is found again
        #expect(metrics.registry.value("gateway_requests_total", ["generate", "a", "p", "ok"]) == 2)
        #expect(metrics.registry.value("gateway_requests_total", ["generate", "c", "p", "ok"]) == 1)
        #expect(table.keptCount == 2, "emptied when full: c, then a again")
    }
}
