import Reactor

/// Usage shared by every replica through Redis (`rate_limits.redis_url`, contract §9): each process adds its
/// finished requests to a pending batch, written every second in one script (off every request's path);
/// a batch Redis did not take stays pending and goes with the next one, so an outage loses nothing, and
/// `flush()` at shutdown writes what is left. The fleet's report is read back from the same hashes.
public final class FleetUsage: Sendable {
    /// One batch: the increments of every row (`<dimension>\u{0}<name>`, dimension totals/model/provider/key).
    private let pending = Locked<[String: UsageLedger.Totals]>([:])
    private let client: RESPClient
    private let metrics: MetricsRegistry?
    private let logger = RequestLogger()
    static let prefix = "model-gateway:usage:"

    // ARGV: groups of (dimension, name, input, output, cost, requests, cache read, cache write, reasoning).
    static let writeScript = """
        for i = 1, #ARGV, 9 do
          local key = 'model-gateway:usage:' .. ARGV[i] .. ':' .. ARGV[i + 1]
          redis.call('SADD', 'model-gateway:usage:index:' .. ARGV[i], ARGV[i + 1])
          redis.call('HINCRBY', key, 'tokens_input', ARGV[i + 2])
          redis.call('HINCRBY', key, 'tokens_output', ARGV[i + 3])
          redis.call('HINCRBYFLOAT', key, 'cost_usd', ARGV[i + 4])
          redis.call('HINCRBY', key, 'requests', ARGV[i + 5])
          redis.call('HINCRBY', key, 'tokens_cache_read', ARGV[i + 6])
          redis.call('HINCRBY', key, 'tokens_cache_write', ARGV[i + 7])
          redis.call('HINCRBY', key, 'tokens_reasoning', ARGV[i + 8])
        end
        return 1
        """

    // Returns, per row: dimension, name, then the hash's field/value pairs.
    static let readScript = """
        local out = {}
        for _, dimension in ipairs({'totals', 'model', 'provider', 'key'}) do
          for _, name in ipairs(redis.call('SMEMBERS', 'model-gateway:usage:index:' .. dimension)) do
            table.insert(out, {dimension, name, redis.call('HGETALL', 'model-gateway:usage:' .. dimension .. ':' .. name)})
          end
        end
        return out
        """

    public init?(url: String, timeout: Duration = .milliseconds(500), metrics: MetricsRegistry? = nil) {
        guard let client = RESPClient(url: url, timeout: timeout) else { return nil }
        self.client = client
        self.metrics = metrics
        metrics?.counter(
            "gateway_usage_sync_failures_total", help: "Usage batches Redis did not take (kept for the next one).")
    }

    /// Adds a finished request to the pending batch.
    func record(model: String, provider: String, key: String, tokens: TokenCounts, cost: Double) {
        pending.withLock { rows in
            for row in ["totals\u{0}", "model\u{0}" + model, "provider\u{0}" + provider, "key\u{0}" + key] {
                rows[row, default: UsageLedger.Totals()].add(tokens, cost: cost)
            }
        }
    }

    /// Writes the pending batch; what Redis does not take stays pending.
    public func flush() async {
        let batch = pending.withLock { rows -> [String: UsageLedger.Totals] in
            defer { rows = [:] }
            return rows
        }
        guard !batch.isEmpty else { return }
        var command = ["EVAL", Self.writeScript, "0"]
        for (row, totals) in batch {
            let parts = row.split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false)
            command += [
                String(parts[0]), parts.count > 1 ? String(parts[1]) : "", String(totals.tokensInput),
                String(totals.tokensOutput), String(totals.costUSD), String(totals.requests),
                String(totals.tokensCacheRead), String(totals.tokensCacheWrite), String(totals.tokensReasoning),
            ]
        }
        if case .integer? = try? await client.send(command) { return }
        metrics?.add("gateway_usage_sync_failures_total")
        logger.log(.warn, "usage not written to Redis; kept for the next batch", ["rows": .number(Double(batch.count))])
        pending.withLock { rows in
            for (row, totals) in batch { rows[row, default: UsageLedger.Totals()].merge(totals) }
        }
    }

    /// Flushes every `interval` until cancelled.
    func run(interval: Duration = .seconds(1)) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            await flush()
        }
    }

    /// The fleet's usage as Redis holds it; nil when Redis cannot say.
    func report() async -> (totals: UsageLedger.Totals, rows: [String: [(String, UsageLedger.Totals)]])? {
        guard case .array(let rows?)? = try? await client.send(["EVAL", Self.readScript, "0"]) else { return nil }
        var totals = UsageLedger.Totals()
        var byDimension: [String: [(String, UsageLedger.Totals)]] = [:]
        for case .array(let row?) in rows where row.count == 3 {
            guard case .bulk(let dimension?) = row[0], case .bulk(let name?) = row[1], case .array(let fields?) = row[2]
            else { continue }
            var parsed = UsageLedger.Totals()
            var index = 0
            while index + 1 < fields.count {
                if case .bulk(let field?) = fields[index], case .bulk(let value?) = fields[index + 1] {
                    parsed.set(String(decoding: field, as: UTF8.self), String(decoding: value, as: UTF8.self))
                }
                index += 2
            }
            let dimensionName = String(decoding: dimension, as: UTF8.self)
            if dimensionName == "totals" {
                totals = parsed
            } else {
                byDimension[dimensionName, default: []].append((String(decoding: name, as: UTF8.self), parsed))
            }
        }
        return (totals, byDimension.mapValues { $0.sorted { $0.0 < $1.0 } })
    }
}
