/// One turn of a conversation: `role` is `system`, `user`, `assistant` or `tool`. Its content is `content`,
/// or `parts` (text and images) instead; an assistant turn may carry the `toolCalls` it made, and a `tool`
/// turn answers the call `toolCallID`.
public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String
    public var parts: [ContentPart]
    public var toolCalls: [ToolCall]
    public var toolCallID: String

    public init(
        role: String, content: String = "", parts: [ContentPart] = [], toolCalls: [ToolCall] = [],
        toolCallID: String = ""
    ) {
        self.role = role
        self.content = content
        self.parts = parts
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
    }

    /// The message's text: `content`, or its text parts joined.
    public var text: String {
        guard !parts.isEmpty else { return content }
        var text = content
        for case .text(let piece) in parts { text += piece }
        return text
    }

    /// The reasoning an assistant turn sends back, in order.
    public var reasoning: [ReasoningPart] {
        parts.compactMap { if case .reasoning(let part) = $0 { part } else { nil } }
    }

    /// The message's images, in order.
    public var images: [Image] {
        parts.compactMap { if case .image(let image) = $0 { image } else { nil } }
    }
}

/// Why generation stopped, normalised across providers.
public enum FinishReason: String, Sendable, Equatable {
    case stop
    case length
    case contentFilter = "content_filter"
    case toolUse = "tool_use"
    case error
}

/// A generation request: a model name or alias, and either `prompt` or `messages`.
/// Optional scalars are nil when the client did not set them (the defaults apply then).
public struct GenerateRequest: Sendable, Equatable {
    public static let defaultTemperature = 0.7
    public static let defaultMaxTokens = 2000

    public var model: String
    public var prompt: String
    public var systemPrompt: String
    public var temperature: Double?
    public var maxTokens: Int?
    public var stopSequences: [String]
    public var metadata: [String: String]
    public var topP: Double?
    public var messages: [ChatMessage]
    public var tools: [Tool]
    /// Nil: `auto` when tools are given.
    public var toolChoice: ToolChoice?
    /// Nil: free text.
    public var responseFormat: ResponseFormat?
    /// Nil: the provider's default.
    public var reasoning: ReasoningConfig?
    public var seed: Int64?
    public var topK: Int?

    public init(
        model: String, prompt: String = "", systemPrompt: String = "", temperature: Double? = nil,
        maxTokens: Int? = nil, stopSequences: [String] = [], metadata: [String: String] = [:], topP: Double? = nil,
        messages: [ChatMessage] = [], tools: [Tool] = [], toolChoice: ToolChoice? = nil,
        responseFormat: ResponseFormat? = nil, reasoning: ReasoningConfig? = nil, seed: Int64? = nil, topK: Int? = nil
    ) {
        self.reasoning = reasoning
        self.seed = seed
        self.topK = topK
        self.tools = tools
        self.toolChoice = toolChoice
        self.responseFormat = responseFormat
        self.model = model
        self.prompt = prompt
        self.systemPrompt = systemPrompt
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.stopSequences = stopSequences
        self.metadata = metadata
        self.topP = topP
        self.messages = messages
    }

    public var effectiveTemperature: Double { temperature ?? Self.defaultTemperature }
    public var effectiveMaxTokens: Int { maxTokens ?? Self.defaultMaxTokens }

    /// What the request needs of a model beyond generating text: tools, vision (images), JSON output.
    public var neededCapabilities: [Capability] {
        var needed: [Capability] = []
        if !tools.isEmpty, toolChoice?.mode != ToolChoice.Mode.none { needed.append(.tools) }
        if messages.contains(where: { !$0.images.isEmpty }) { needed.append(.vision) }
        if let format = responseFormat, format.type != .text { needed.append(.jsonOutput) }
        return needed
    }

    /// The conversation as chat messages: the system prompt first, then `messages` or the prompt as one user turn.
    public var conversation: [ChatMessage] {
        // The messages themselves when nothing goes before them: shared, not copied turn by turn.
        if systemPrompt.isEmpty, !messages.isEmpty { return messages }
        var turns: [ChatMessage] = []
        if !systemPrompt.isEmpty { turns.append(ChatMessage(role: "system", content: systemPrompt)) }
        if messages.isEmpty {
            turns.append(ChatMessage(role: "user", content: prompt))
        } else {
            turns.append(contentsOf: messages)
        }
        return turns
    }
}

/// A complete answer to a `GenerateRequest`.
public struct GenerateResponse: Sendable, Equatable {
    public var id: String
    /// The model that answered, after alias resolution and failover.
    public var model: String
    /// The configured name of the provider that answered.
    public var provider: String
    public var content: String
    public var tokensInput: Int
    public var tokensOutput: Int
    public var latencyMs: Double
    public var finishReason: FinishReason
    public var metadata: [String: String]
    public var costUSD: Double
    /// The model the client asked for, when failover answered with another one.
    public var requestedModel: String?
    /// The calls the model made (finish reason `tool_use`).
    public var toolCalls: [ToolCall]
    /// The reasoning, when the request asked for it to be included.
    public var reasoning: [ReasoningPart] = []
    /// How much of the answer (counted in `tokensOutput`) and of the prompt (in `tokensInput`) was what.
    public var breakdown = TokenBreakdown()
    /// The stop sequence that ended the answer, and the provider's own finish value.
    public var stop = StopDetails()

    public init(
        id: String, model: String, provider: String, content: String, tokensInput: Int, tokensOutput: Int,
        latencyMs: Double, finishReason: FinishReason, metadata: [String: String], costUSD: Double,
        requestedModel: String? = nil, toolCalls: [ToolCall] = []
    ) {
        self.toolCalls = toolCalls
        self.id = id
        self.model = model
        self.provider = provider
        self.content = content
        self.tokensInput = tokensInput
        self.tokensOutput = tokensOutput
        self.latencyMs = latencyMs
        self.finishReason = finishReason
        self.metadata = metadata
        self.costUSD = costUSD
        self.requestedModel = requestedModel
    }
}

/// One piece of a streamed answer; the last has `done == true`, the finish reason and the totals.
public struct GenerateChunk: Sendable, Equatable {
    public var id: String
    public var model: String
    public var provider: String
    public var content: String
    public var done: Bool
    public var finishReason: FinishReason?
    public var tokensInput: Int
    public var tokensOutput: Int
    public var latencyMs: Double
    public var costUSD: Double
    public var requestedModel: String?
    public var metadata: [String: String]
    /// Pieces of tool calls, in order.
    public var toolCalls: [ToolCallDelta]
    /// A piece of reasoning (its block's signature arrives on the last one).
    public var reasoning: ReasoningPart?
    /// Last chunk: the breakdown of the counts, the stop sequence and the provider's finish value.
    public var breakdown = TokenBreakdown()
    public var stop = StopDetails()

    public init(
        id: String, model: String, provider: String, content: String, done: Bool = false,
        finishReason: FinishReason? = nil, tokensInput: Int = 0, tokensOutput: Int = 0, latencyMs: Double = 0,
        costUSD: Double = 0, requestedModel: String? = nil, metadata: [String: String] = [:],
        toolCalls: [ToolCallDelta] = []
    ) {
        self.toolCalls = toolCalls
        self.id = id
        self.model = model
        self.provider = provider
        self.content = content
        self.done = done
        self.finishReason = finishReason
        self.tokensInput = tokensInput
        self.tokensOutput = tokensOutput
        self.latencyMs = latencyMs
        self.costUSD = costUSD
        self.requestedModel = requestedModel
        self.metadata = metadata
    }
}

/// What the token counts hold beyond plain text: reasoning (in the output), cache reads and writes (in the
/// input). `reasoning` is nil when the provider did not say.
public struct TokenBreakdown: Sendable, Equatable {
    public var reasoning: Int?
    public var cacheRead = 0
    public var cacheWrite = 0

    public init(reasoning: Int? = nil, cacheRead: Int = 0, cacheWrite: Int = 0) {
        self.reasoning = reasoning
        self.cacheRead = cacheRead
        self.cacheWrite = cacheWrite
    }
}

/// Why an answer stopped, as the provider said it: the stop sequence that matched, and its raw finish value.
public struct StopDetails: Sendable, Equatable {
    public var sequence = ""
    public var providerReason = ""

    public init(sequence: String = "", providerReason: String = "") {
        self.sequence = sequence
        self.providerReason = providerReason
    }
}
