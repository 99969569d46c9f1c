import Reactor

/// Budgets counted in Redis, for every replica alike: one key per key and UTC day (US dollars) and per key
/// and month (tokens), expiring after their period. A check is one bounded round trip (MGET); settling is
/// one script, off the request's path. When Redis cannot answer, checks let the request through (counted in
/// `gateway_budget_store_failures_total`), as rate limits do.
public final class RedisBudgetStore: BudgetStore {
    // KEYS: day key, month key; ARGV: usd, tokens. Expiries outlast their periods.
    static let script = """
        redis.call('INCRBYFLOAT', KEYS[1], ARGV[1]); redis.call('EXPIRE', KEYS[1], 172800)
        redis.call('INCRBY', KEYS[2], ARGV[2]); redis.call('EXPIRE', KEYS[2], 3024000)
        return 1
        """

    private let client: RESPClient
    private let metrics: MetricsRegistry?
    private let logger = RequestLogger()
    private let lastWarning = Locked<ContinuousClock.Instant?>(nil)

    public init?(url: String, timeout: Duration = .milliseconds(100), metrics: MetricsRegistry? = nil) {
        guard let client = RESPClient(url: url, timeout: timeout) else { return nil }
        self.client = client
        self.metrics = metrics
        metrics?.counter(
            "gateway_budget_store_failures_total",
            help: "Budget checks let through or settlements lost because the shared store failed.", labels: ["op"])
    }

    static func keys(_ key: String, _ period: BudgetPeriodKey) -> (day: String, month: String) {
        ("model-gateway:budget:\(key):usd:\(period.day)", "model-gateway:budget:\(key):tokens:\(period.month)")
    }

    public func spent(_ key: String, in period: BudgetPeriodKey) async -> BudgetSpent? {
        let (day, month) = Self.keys(key, period)
        guard case .array(let values?)? = try? await client.send(["MGET", day, month]), values.count == 2 else {
            failed("check")
            return nil
        }
        func number(_ reply: RESPReply) -> Double {
            if case .bulk(let bytes?) = reply { return Double(String(decoding: bytes, as: UTF8.self)) ?? 0 }
            return 0
        }
        let usd = number(values[0])
        let tokens = number(values[1])
        return BudgetSpent(usd: usd.isFinite ? usd : 0, tokens: Int(min(max(tokens, 0), Double(Int.max / 2))))
    }

    public func add(_ key: String, in period: BudgetPeriodKey, usd: Double, tokens: Int) async {
        let (day, month) = Self.keys(key, period)
        let reply = try? await client.send([
            "EVAL", Self.script, "2", day, month, String(usd.isFinite ? usd : 0), String(tokens),
        ])
        if case .integer? = reply { return }
        failed("settle")
    }

    /// Counts a failure, and warns at most every ten seconds.
    private func failed(_ op: String) {
        metrics?.add("gateway_budget_store_failures_total", [op])
        let now = ContinuousClock.now
        let due = lastWarning.withLock { last -> Bool in
            guard last.map({ now - $0 >= .seconds(10) }) ?? true else { return false }
            last = now
            return true
        }
        if due {
            logger.log(.warn, "budget store unavailable; budgets are not enforced meanwhile", ["op": .string(op)])
        }
    }
}
