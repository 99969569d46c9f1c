/// Token buckets kept in Redis, so every replica draws on the same budgets. The bucket update is one Lua
/// script (atomic in Redis). When Redis cannot be reached the request is allowed, and a warning logged:
/// a limiter outage should not become a gateway outage.
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

    public init?(url: String, logger: RequestLogger = RequestLogger()) {
        guard let client = RESPClient(url: url) else { return nil }
        self.client = client
        self.logger = logger
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
            case .integer(let wait): return wait == 0 ? nil : max(1, (wait + 999) / 1000)
            case .error(let message): throw RESPClient.Failure(description: message)
            default: throw RESPClient.Failure(description: "unexpected reply \(reply)")
            }
        } catch {
            logger.log(.warn, "rate limit store unavailable; allowing the request", ["error": .string("\(error)")])
            return nil
        }
    }
}
