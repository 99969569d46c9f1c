import Reactor

/// Tokens, cost and requests since start, per model, provider and API key (keys by a short hash).
public final class UsageLedger: Sendable {
    /// One row of the usage report.
    public struct Totals: Sendable, Equatable {
        public var tokensInput = 0
        public var tokensOutput = 0
        public var costUSD = 0.0
        public var requests = 0
        public var tokensCacheRead = 0
        public var tokensCacheWrite = 0
        public var tokensReasoning = 0

        /// Saturates rather than traps: the counts come from providers, which may report anything.
        mutating func add(_ tokens: TokenCounts, cost: Double) {
            tokensInput = Self.saturating(tokensInput, tokens.input)
            tokensOutput = Self.saturating(tokensOutput, tokens.output)
            tokensCacheRead = Self.saturating(tokensCacheRead, tokens.cachedInput)
            tokensCacheWrite = Self.saturating(tokensCacheWrite, tokens.cacheWrite)
            tokensReasoning = Self.saturating(tokensReasoning, tokens.reasoning ?? 0)
            costUSD += cost.isFinite ? cost : 0
            requests = Self.saturating(requests, 1)
        }

        /// Adds another row's counts (a batch Redis did not take, going back to pending).
        mutating func merge(_ other: Totals) {
            tokensInput = Self.saturating(tokensInput, other.tokensInput)
            tokensOutput = Self.saturating(tokensOutput, other.tokensOutput)
            tokensCacheRead = Self.saturating(tokensCacheRead, other.tokensCacheRead)
            tokensCacheWrite = Self.saturating(tokensCacheWrite, other.tokensCacheWrite)
            tokensReasoning = Self.saturating(tokensReasoning, other.tokensReasoning)
            costUSD += other.costUSD
            requests = Self.saturating(requests, other.requests)
        }

        /// Sets a field read back from Redis (numbers out of range are read as 0).
        mutating func set(_ field: String, _ value: String) {
            let count = Int(value).map { max(0, $0) } ?? 0
            switch field {
            case "tokens_input": tokensInput = count
            case "tokens_output": tokensOutput = count
            case "cost_usd": costUSD = Double(value).flatMap { $0.isFinite ? $0 : nil } ?? 0
            case "requests": requests = count
            case "tokens_cache_read": tokensCacheRead = count
            case "tokens_cache_write": tokensCacheWrite = count
            case "tokens_reasoning": tokensReasoning = count
            default: break
            }
        }

        private static func saturating(_ a: Int, _ b: Int) -> Int {
            let (sum, overflow) = a.addingReportingOverflow(b)
            return overflow ? (b < 0 ? .min : .max) : sum
        }
    }

    /// The whole report.
    public struct Report: Sendable {
        public var since: ContinuousClock.Instant
        public var totals: Totals
        public var byModel: [(String, Totals)]
        public var byProvider: [(String, Totals)]
        public var byKey: [(String, Totals)]
    }

    private struct State {
        var totals = Totals()
        var byModel = Rows()
        var byProvider = Rows()
        var byKey = Rows()
    }

    /// One dimension's rows (by model, provider or key), found by name.
    private struct Rows {
        private var index = LastFoundTable<String, Int>()
        private var totals: [Totals] = []

        var count: Int { totals.count }

        func contains(_ name: String) -> Bool { index.contains(name) }

        mutating func add(_ name: String, _ tokens: TokenCounts, cost: Double) {
            let row = index.value(name) {
                totals.append(Totals())
                return totals.count - 1
            }
            totals[row].add(tokens, cost: cost)
        }

        var sorted: [(String, Totals)] { index.all.map { ($0.key, totals[$0.value]) }.sorted { $0.0 < $1.0 } }
    }

    private let state = Locked(State())
    private let since = ContinuousClock.now

    public init() {}

    /// Distinct key rows kept: with authentication off, keys are whatever clients send, and each new one
    /// would be a row for ever; past this many, new keys count under `other`.
    static let maxKeyRows = 1000

    /// Counts one finished request; `key` is the client's label (a named key's name, or its key's id).
    public func record(model: String, provider: String, key: String?, tokens: TokenCounts, cost: Double) {
        var keyID = key ?? "anonymous"
        state.withLock { state in
            if state.byKey.count >= Self.maxKeyRows, !state.byKey.contains(keyID) { keyID = "other" }
            state.totals.add(tokens, cost: cost)
            state.byModel.add(model, tokens, cost: cost)
            state.byProvider.add(provider, tokens, cost: cost)
            state.byKey.add(keyID, tokens, cost: cost)
        }
    }

    public func report() -> Report {
        state.withLock { state in
            Report(
                since: since, totals: state.totals, byModel: state.byModel.sorted,
                byProvider: state.byProvider.sorted, byKey: state.byKey.sorted)
        }
    }

    /// A short non-reversible id for a key: `key-` and 12 hex digits of its FNV-1a hash.
    public static func keyID(_ key: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let digits = String(hash, radix: 16)
        return "key-" + String((String(repeating: "0", count: max(0, 16 - digits.count)) + digits).prefix(12))
    }
}
