/// Whether and how much the model reasons before it answers (contract §10).
public struct ReasoningConfig: Sendable, Equatable {
    public enum Effort: String, Sendable, CaseIterable {
        case none, low, medium, high
    }

    /// Nil: the provider's default amount of reasoning.
    public var effort: Effort?
    /// Anthropic's thinking budget: at least 1024 and below `max_tokens`.
    public var budgetTokens: Int?
    /// Whether the reasoning is returned (it is counted either way).
    public var include: Bool

    public init(effort: Effort? = nil, budgetTokens: Int? = nil, include: Bool = false) {
        self.effort = effort
        self.budgetTokens = budgetTokens
        self.include = include
    }

    /// Reasoning asked for at all (`none` turns it off).
    public var isOn: Bool { effort != ReasoningConfig.Effort.none }
}

/// Reasoning text or a piece of it; `signature` and `redactedData` are the provider's, opaque, and go back
/// unchanged with the next turn (Anthropic requires that when tools and thinking are combined).
public struct ReasoningPart: Sendable, Equatable {
    public var text: String
    public var signature: String
    public var redactedData: [UInt8]

    public init(text: String = "", signature: String = "", redactedData: [UInt8] = []) {
        self.text = text
        self.signature = signature
        self.redactedData = redactedData
    }
}
