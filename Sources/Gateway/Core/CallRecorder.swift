import Synchronization

/// A generation call's name, as metrics, logs and spans label it.
enum CallMethod: String, Sendable {
    case generate
    case streamGenerate = "stream_generate"
    case embed
}

/// How a call ended, as metrics, logs and spans report it.
enum CallOutcome: Equatable, Sendable {
    case answered
    case failed(GatewayError.Kind)
    /// The call's task was cancelled, or the client stopped reading a stream.
    case cancelled

    init(_ error: any Error) {
        self = (error as? GatewayError).map { .failed($0.kind) } ?? .cancelled
    }

    /// The `code` label and log status.
    var label: String {
        switch self {
        case .answered: "ok"
        case .failed(let kind): kind.rawValue
        case .cancelled: "cancelled"
        }
    }
}

/// Where calls leave their records: usage ledger, metrics, request log and tracer — one set per gateway.
struct CallRecords: Sendable {
    let usage: UsageLedger
    let metrics: GatewayMetrics
    let logger: RequestLogger
    let tracer: Tracer

    /// Starts the record of a call for `model` (a configured model's name, or "unknown": label values come
    /// from the configuration, not from clients, or the label set grows without bound).
    func start(
        _ method: CallMethod, model: String, context: CallContext, budgets: (any BudgetStore)? = nil,
        fleet: FleetUsage? = nil
    ) -> CallRecorder {
        CallRecorder(self, method, model: model, context: context, budgets: budgets, fleet: fleet)
    }
}

/// One call's record: in flight from start to end, its span, and at the end its usage and cost, metrics,
/// log line and span status. Ended exactly once — answered, failed, or cancelled (a client gone included);
/// later ends are ignored.
final class CallRecorder: Sendable {
    let method: CallMethod
    /// The `method` label: the call's method as named by its API.
    let label: String
    /// The requested model's label.
    let model: String
    let context: CallContext
    /// The trace context provider calls continue: this call's span, else the client's.
    let trace: TraceContext?
    private let records: CallRecords
    /// Where a named key's spending is settled, if it has a budget.
    private let budgets: (any BudgetStore)?
    /// Where the fleet's usage is batched, with a shared Redis.
    private let fleet: FleetUsage?
    private let span: Tracer.ActiveSpan?
    private let ended = Atomic<Bool>(false)

    fileprivate init(
        _ records: CallRecords, _ method: CallMethod, model: String, context: CallContext,
        budgets: (any BudgetStore)?, fleet: FleetUsage?
    ) {
        self.records = records
        self.fleet = fleet
        self.budgets = context.client?.budget == nil ? nil : budgets
        self.method = method
        label = context.api.label(method)
        self.model = model
        self.context = context
        let incoming = TraceContext(traceparent: context.traceparent)
        span = records.tracer.start(label, parent: incoming, kind: .server)
        trace = span?.context ?? incoming
        records.metrics.inflight.increment()
    }

    var isEnded: Bool { ended.load(ordering: .acquiring) }

    /// Claims the one end; false when the call already ended.
    private func claimEnd() -> Bool {
        guard !ended.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        records.metrics.inflight.decrement()
        let metrics = records.metrics
        metrics.registry.update { batch in
            let timing = metrics.callSeries.timing(label, batch, metrics)
            batch.observe(timing.duration, context.timing.elapsedMilliseconds / 1000)
            batch.observe(timing.overhead, context.timing.overheadSeconds)
        }
        return true
    }

    /// The answer began on `attempt` (a stream: its first content arrived); the call is counted as answered.
    func answerBegan(_ attempt: Attempt) {
        let provider = attempt.route.provider.name
        let metrics = records.metrics
        metrics.registry.update { batch in
            batch.add(metrics.callSeries.answered(label, model: model, provider: provider, batch, metrics))
            if method == .streamGenerate {
                let served = metrics.callSeries.served(model: attempt.model.name, provider: provider, batch, metrics)
                batch.observe(served.firstToken(batch, metrics), context.timing.elapsedMilliseconds / 1000)
            }
        }
    }

    /// Ends a call that failed before any answer began.
    func failed(_ error: any Error) {
        guard claimEnd() else { return }
        let code = CallOutcome(error).label
        let metrics = records.metrics
        metrics.registry.update { $0.add(metrics.requests, [label, model, "", code]) }
        records.logger.request(method: label, context: context, model: model, provider: "", status: code)
        span?.end(error: code, [("gateway.request_id", .string(context.requestID))])
    }

    /// Ends a call whose answer began on `attempt`: usage, cost, metrics, log line and span. Returns the cost.
    @discardableResult
    func end(_ outcome: CallOutcome, _ attempt: Attempt, _ tokens: TokenCounts) -> Double {
        let cost = attempt.model.pricing.cost(tokens)
        guard claimEnd() else { return cost }
        let provider = attempt.route.provider.name
        records.usage.record(
            model: attempt.model.name, provider: provider, key: context.keyID, tokens: tokens, cost: cost)
        fleet?.record(
            model: attempt.model.name, provider: provider, key: context.keyID ?? "anonymous", tokens: tokens, cost: cost
        )
        if let budgets, let key = context.keyID {
            // Settled with the real usage, streams cut short included; off the request's path.
            let period = BudgetPeriod.now().key
            let spentTokens = tokens.input + tokens.output
            BackgroundTask.start { await budgets.add(key, in: period, usd: cost, tokens: spentTokens) }
        }
        let (metrics, model) = (records.metrics, attempt.model.name)
        metrics.registry.update { batch in
            let served = metrics.callSeries.served(model: model, provider: provider, batch, metrics)
            batch.add(served.tokens(.prompt, batch, metrics), Double(tokens.input))
            batch.add(served.tokens(.completion, batch, metrics), Double(tokens.output))
            // The breakdown of those: cache reads and writes (of the prompt), reasoning (of the completion).
            if tokens.cachedInput > 0 {
                batch.add(served.tokens(.cacheRead, batch, metrics), Double(tokens.cachedInput))
            }
            if tokens.cacheWrite > 0 {
                batch.add(served.tokens(.cacheWrite, batch, metrics), Double(tokens.cacheWrite))
            }
            if let reasoning = tokens.reasoning, reasoning > 0 {
                batch.add(served.tokens(.reasoning, batch, metrics), Double(reasoning))
            }
            batch.add(served.cost, cost)
        }
        records.logger.request(
            method: label, context: context, model: attempt.model.name, provider: provider,
            status: outcome.label, tokensInput: tokens.input, tokensOutput: tokens.output)
        span?.end(
            error: outcome == .answered ? nil : outcome.label,
            [
                ("gateway.request_id", .string(context.requestID)), ("gateway.model", .string(attempt.model.name)),
                ("gateway.key", context.keyID.map(JSON.string) ?? .null),
                ("gateway.provider", .string(provider)), ("gen_ai.usage.input_tokens", .number(Double(tokens.input))),
                ("gen_ai.usage.output_tokens", .number(Double(tokens.output))),
            ])
        return cost
    }
}
