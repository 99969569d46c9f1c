/// The metric series a call's record updates, found once per method, model and provider and then kept.
///
/// Found by their label values on every call, the series cost a hash of every value and an array of them
/// each (~5 k instructions a call); kept, a call finds its few with one lookup each. The label values come
/// from the configuration (model and provider names, a method's label), so the tables stay small; each is
/// emptied past `limit` all the same (reloads can rename things), while the series stay in the registry.
///
/// Touched only inside `MetricsRegistry.update`, under the registry's lock.
final class CallSeries: @unchecked Sendable {
    typealias Series = MetricsRegistry.Series
    typealias HistogramSeries = MetricsRegistry.HistogramSeries

    /// A call's timing series, by method.
    struct Timing {
        let duration: HistogramSeries
        let overhead: HistogramSeries
    }

    /// The series of what a model served through a provider: tokens by kind, cost, time to first token.
    final class Served {
        fileprivate let model: String
        fileprivate let provider: String
        let cost: Series
        /// By `TokenKind`, each made when first used (a kind never counted is not shown).
        fileprivate var tokens: [Series?] = Array(repeating: nil, count: TokenKind.allCases.count)
        fileprivate var firstToken: HistogramSeries?

        fileprivate init(model: String, provider: String, cost: Series) {
            self.model = model
            self.provider = provider
            self.cost = cost
        }
    }

    /// The `kind` label of `gateway_tokens_total`.
    enum TokenKind: Int, CaseIterable {
        case prompt, completion, cacheRead, cacheWrite, reasoning

        var label: String {
            switch self {
            case .prompt: "prompt"
            case .completion: "completion"
            case .cacheRead: "cache_read"
            case .cacheWrite: "cache_write"
            case .reasoning: "reasoning"
            }
        }
    }

    private struct AnswerKey: Hashable {
        let method: String
        let model: String
        let provider: String
    }

    private struct RouteKey: Hashable {
        let model: String
        let provider: String
    }

    private var timings: LastFoundTable<String, Timing>
    private var answers: LastFoundTable<AnswerKey, Series>
    private var served: LastFoundTable<RouteKey, Served>

    init(limit: Int = 1024) {
        timings = LastFoundTable(limit: limit)
        answers = LastFoundTable(limit: limit)
        served = LastFoundTable(limit: limit)
    }

    /// Series kept in all three tables (tests).
    var keptCount: Int { timings.count + answers.count + served.count }

    /// The duration and overhead histograms of calls labelled `method`.
    func timing(_ method: String, _ batch: borrowing MetricsRegistry.Batch, _ metrics: GatewayMetrics) -> Timing {
        timings.value(method) {
            Timing(
                duration: batch.histogramSeries(metrics.requestDuration, [method]),
                overhead: batch.histogramSeries(metrics.overhead, [method]))
        }
    }

    /// The `code="ok"` series of `gateway_requests_total` for calls labelled `method` asking for `model`
    /// and answered by `provider`.
    func answered(
        _ method: String, model: String, provider: String, _ batch: borrowing MetricsRegistry.Batch,
        _ metrics: GatewayMetrics
    ) -> Series {
        answers.value(AnswerKey(method: method, model: model, provider: provider)) {
            batch.series(metrics.requests, [method, model, provider, "ok"])
        }
    }

    /// The series of what `model` served through `provider`.
    func served(
        model: String, provider: String, _ batch: borrowing MetricsRegistry.Batch, _ metrics: GatewayMetrics
    ) -> Served {
        served.value(RouteKey(model: model, provider: provider)) {
            Served(model: model, provider: provider, cost: batch.series(metrics.cost, [model, provider]))
        }
    }
}

extension CallSeries.Served {
    /// The `gateway_tokens_total` series of one kind.
    func tokens(
        _ kind: CallSeries.TokenKind, _ batch: borrowing MetricsRegistry.Batch, _ metrics: GatewayMetrics
    ) -> CallSeries.Series {
        if let known = tokens[kind.rawValue] { return known }
        let made = batch.series(metrics.tokens, [model, provider, kind.label])
        tokens[kind.rawValue] = made
        return made
    }

    /// The `gateway_time_to_first_token_seconds` series.
    func firstToken(_ batch: borrowing MetricsRegistry.Batch, _ metrics: GatewayMetrics) -> CallSeries.HistogramSeries {
        if let known = firstToken { return known }
        let made = batch.histogramSeries(metrics.timeToFirstToken, [model, provider])
        firstToken = made
        return made
    }
}
