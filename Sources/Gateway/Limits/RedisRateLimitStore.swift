import Reactor

/// Token buckets kept in Redis, so every replica draws on the same budgets. The bucket update is one Lua
/// script (atomic in Redis). When Redis cannot answer within the client's small budget (down, slow,
/// black-holed, or answering nonsense) the request is allowed: a limiter outage must not become a gateway
/// outage. Each such pass is counted (`gateway_rate_limit_store_failures_total`) and logged, at most one
/// warning per `warningInterval`.
public final class RedisRateLimitStore: RateLimitStore {
    // KEYS[1] bucket; ARGV: capacity, refill per ms, now in ms. Returns 0 when allowed, else ms to wait.
    static let script = """
        local b = redis.call('HMGET', KEYS[1], 't', 'u')
        local cap = tonumber(ARGV[1]); local rate = tonumber(ARGV[2]); local now = tonumber(ARGV[3])
        local tokens = tonumber(b[1]) or cap; local updated = tonumber(b[2]) or now
        tokens = math.min(cap, tokens + math.max(0, now - updated) * rate)
        local wait = 0
        if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate) end
        redis.call('HSET', KEYS[1], 't', tostring(tokens), 'u', tostring(now))
        redis.call('PEXPIRE', KEYS[1], math.ceil(cap / rate) + 1000)
        return wait
        """

    private let client: RESPClient
    private let logger: RequestLogger
    private let metrics: MetricsRegistry?
    private let lastWarning = Locked<ContinuousClock.Instant?>(nil)
    let warningInterval: Duration = .seconds(10)

    /// `timeout` bounds each check: past it the request goes on, unlimited.
    public init?(
        url: String, timeout: Duration = .milliseconds(100), logger: RequestLogger = RequestLogger(),
        metrics: MetricsRegistry? = nil
    ) {
        guard let client = RESPClient(url: url, timeout: timeout) else { return nil }
        self.client = client
        self.logger = logger
        self.metrics = metrics
        metrics?.counter(
            "gateway_rate_limit_store_failures_total",
            help: "Rate-limit checks let through because the shared store did not answer in time or failed.",
            labels: ["reason"])
    }

    public func take(_ key: String, limit: RateLimit) async -> Int? {
        let capacity = Double(limit.requestsPerMinute)
        let perMillisecond = capacity / 60_000
        let now = Int(WallClock.milliseconds())
        do {
            let reply = try await client.send([
                "EVAL", Self.script, "1", "model-gateway:ratelimit:\(key)", String(capacity), String(perMillisecond),
                String(now),
            ])
            switch reply {
            case .integer(let wait):
                guard wait > 0 else { return nil }
                // Seconds, rounded up, within an hour whatever the store says.
                return Int(min(Double(wait), 3_600_000) / 1000 + 0.999)
            case .error(let message): throw RESPClient.Failure(description: message)
            default: throw RESPClient.Failure(description: "unexpected reply \(reply)")
            }
        } catch is CancellationError {
            return nil
        } catch {
            failedOpen(error)
            return nil
        }
    }

    private func failedOpen(_ error: any Error) {
        let reason = (error as? RESPClient.Failure)?.isTimeout == true ? "timeout" : "error"
        metrics?.add("gateway_rate_limit_store_failures_total", [reason])
        let now = ContinuousClock.now
        let due = lastWarning.withLock { last -> Bool in
            guard last.map({ now - $0 >= warningInterval }) ?? true else { return false }
            last = now
            return true
        }
        if due {
            logger.log(.warn, "rate limit store unavailable; allowing requests", ["error": .string("\(error)")])
        }
    }
}
