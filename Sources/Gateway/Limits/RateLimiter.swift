import Reactor

/// Where rate-limit buckets live: in-process by default; a shared store lets replicas share limits.
public protocol RateLimitStore: Sendable {
    /// Takes one request from `key`'s budget; returns nil when allowed, else the seconds to wait.
    func take(_ key: String, limit: RateLimit) async -> Int?
}

/// Token buckets in process memory: `requests_per_minute` tokens, refilled continuously.
public final class InProcessRateLimitStore: RateLimitStore {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
        var capacity: Double

        /// Refilled to capacity by now: the same as no bucket at all.
        func isFull(at now: ContinuousClock.Instant) -> Bool {
            tokens + (now - updated).milliseconds / 1000 * capacity / 60 >= capacity
        }
    }

    private let buckets = Locked<[String: Bucket]>([:])
    /// Buckets kept at most: keys are client-chosen when authentication is off. A full bucket is the same
    /// as none, so those go first; a key that finds no room is not limited (it proves nothing anyway).
    let maxBuckets: Int

    public init(maxBuckets: Int = 100_000) {
        self.maxBuckets = maxBuckets
    }

    public func take(_ key: String, limit: RateLimit) async -> Int? {
        let now = ContinuousClock.now
        let capacity = Double(limit.requestsPerMinute)
        let perSecond = capacity / 60
        return buckets.withLock { buckets in
            if buckets[key] == nil, buckets.count >= maxBuckets {
                buckets = buckets.filter { !$0.value.isFull(at: now) }
                guard buckets.count < maxBuckets else { return nil }
            }
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now, capacity: capacity)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated).milliseconds / 1000 * perSecond)
            bucket.updated = now
            defer { buckets[key] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up)))
        }
    }
}

/// The gateway's limits per API key, per model and per provider, answered as 429 with `retry-after`.
public struct RateLimiter: Sendable {
    let store: any RateLimitStore

    func check(_ scope: String, _ name: String, _ limit: RateLimit?) async throws(GatewayError) {
        guard let limit else { return }
        if let wait = await store.take("\(scope):\(name)", limit: limit) {
            throw GatewayError(
                .rateLimited,
                "rate limit of \(limit.requestsPerMinute) requests per minute reached for \(scope) \(name)",
                retryAfterSeconds: wait)
        }
    }
}
