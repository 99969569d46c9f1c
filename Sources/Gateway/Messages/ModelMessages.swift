/// Whether a model can be used now: its provider answered its last probe, failed it, or was never probed.
public enum ModelStatus: String, Sendable, Equatable {
    case available
    case unavailable
    case unknown
}

/// What a model can do.
public enum Capability: String, Sendable, Equatable, CaseIterable {
    case generate
    case chat
    case stream
    case embedding
    /// Calls tools.
    case tools
    /// Reads images.
    case vision
    /// Answers in JSON (an object, or following a schema).
    case jsonOutput = "json_output"

    /// What a request may need beyond text generation; assumed present unless a model's list is known.
    static let extras: Set<Capability> = [.tools, .vision, .jsonOutput]
}

/// Model tiers, low to high; `tier_up` failover moves to the next one.
public enum Tier: String, Sendable, Equatable, CaseIterable, Comparable {
    case tiny
    case small
    case large
    case frontier

    public static func < (lhs: Tier, rhs: Tier) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    public var next: Tier? {
        let index = Tier.allCases.firstIndex(of: self)!
        return index + 1 < Tier.allCases.count ? Tier.allCases[index + 1] : nil
    }
}

/// Prices in US dollars per million tokens.
public struct Pricing: Sendable, Equatable {
    public var inputPerMtok: Double
    public var outputPerMtok: Double
    /// Price of input tokens the provider served from its prompt cache; the input price when not set.
    public var cachedInputPerMtok: Double?
    /// Price of input tokens written to the provider's prompt cache; the input price when not set.
    public var cacheWritePerMtok: Double?

    public init(
        inputPerMtok: Double = 0, outputPerMtok: Double = 0, cachedInputPerMtok: Double? = nil,
        cacheWritePerMtok: Double? = nil
    ) {
        self.inputPerMtok = inputPerMtok
        self.outputPerMtok = outputPerMtok
        self.cachedInputPerMtok = cachedInputPerMtok
        self.cacheWritePerMtok = cacheWritePerMtok
    }

    /// The cost of one call: cache reads and writes priced apart when the pricing says so.
    public func cost(input: Int, output: Int, cachedInput: Int = 0, cacheWrite: Int = 0) -> Double {
        let plain = Double(max(0, input - cachedInput - cacheWrite)) * inputPerMtok
        let cached = Double(cachedInput) * (cachedInputPerMtok ?? inputPerMtok)
        let written = Double(cacheWrite) * (cacheWritePerMtok ?? inputPerMtok)
        return (plain + cached + written + Double(output) * outputPerMtok) / 1_000_000
    }

    public func cost(_ tokens: TokenCounts) -> Double {
        cost(input: tokens.input, output: tokens.output, cachedInput: tokens.cachedInput, cacheWrite: tokens.cacheWrite)
    }
}

/// A model as clients see it.
public struct ModelInfo: Sendable, Equatable {
    public var name: String
    /// The first provider serving it.
    public var provider: String
    /// Every provider serving it, in failover order.
    public var providers: [String]
    public var status: ModelStatus
    public var tier: Tier?
    public var aliases: [String]
    public var capabilities: [Capability]
    /// The model's name at its provider.
    public var upstreamModel: String
    public var contextLength: Int?
    public var pricing: Pricing

    public init(
        name: String, provider: String, providers: [String], status: ModelStatus, tier: Tier?, aliases: [String],
        capabilities: [Capability], upstreamModel: String, contextLength: Int?, pricing: Pricing
    ) {
        self.name = name
        self.provider = provider
        self.providers = providers
        self.status = status
        self.tier = tier
        self.aliases = aliases
        self.capabilities = capabilities
        self.upstreamModel = upstreamModel
        self.contextLength = contextLength
        self.pricing = pricing
    }
}

/// Every model, with the alias table.
public struct ListModelsResponse: Sendable, Equatable {
    public var models: [ModelInfo]
    /// alias → model name
    public var aliases: [String: String]
}

/// Texts to embed with an embedding model.
public struct EmbedRequest: Sendable, Equatable {
    public var model: String
    public var input: [String]

    public init(model: String, input: [String]) {
        self.model = model
        self.input = input
    }
}

/// One vector per input text, in input order.
public struct EmbedResponse: Sendable, Equatable {
    public var model: String
    public var provider: String
    public var embeddings: [[Float]]
    public var tokensInput: Int
    public var latencyMs: Double
}

/// One provider's probe result.
public struct ProviderHealth: Sendable, Equatable {
    public var name: String
    public var type: String
    public var endpoint: String
    /// `up`, `down`, `inactive` (no key configured) or `unknown` (not probed yet).
    public var status: ProviderStatus.State
    public var latencyMs: Double
    public var error: String
}

/// The gateway's health: `healthy`, `degraded` (an active provider is down) or `unhealthy` (none is up).
public struct HealthResponse: Sendable, Equatable {
    public enum Status: String, Sendable {
        case healthy, degraded, unhealthy
    }

    public var status: Status
    public var version: String
    public var uptimeS: Double
    public var providers: [ProviderHealth]
}

/// Tokens, cost and requests counted since the gateway started, in total and by model, provider and key.
public struct UsageResponse: Sendable {
    public var report: UsageLedger.Report
    /// When counting began (RFC 3339).
    public var since: String
    /// With a shared Redis the report is the fleet's; these are this process's totals.
    public var replica: UsageLedger.Totals?

    public init(report: UsageLedger.Report, since: String, replica: UsageLedger.Totals? = nil) {
        self.report = report
        self.since = since
        self.replica = replica
    }
}
