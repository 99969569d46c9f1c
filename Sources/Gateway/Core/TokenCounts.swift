/// Token counts of an answer, as far as known: `input` includes cache reads and writes, `output` includes
/// reasoning (contract §10).
public struct TokenCounts: Sendable, Equatable {
    public var input = 0
    public var output = 0
    /// Input served from the provider's prompt cache.
    public var cachedInput = 0
    /// Input written to the provider's prompt cache.
    public var cacheWrite = 0
    /// Output spent on reasoning; nil when the provider did not say.
    public var reasoning: Int?

    public init(input: Int = 0, output: Int = 0, cachedInput: Int = 0, cacheWrite: Int = 0, reasoning: Int? = nil) {
        self.input = input
        self.output = output
        self.cachedInput = cachedInput
        self.cacheWrite = cacheWrite
        self.reasoning = reasoning
    }

    /// The breakdown as answers carry it.
    public var breakdown: TokenBreakdown {
        TokenBreakdown(reasoning: reasoning, cacheRead: cachedInput, cacheWrite: cacheWrite)
    }
}
