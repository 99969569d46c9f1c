import Yams

/// Reads and validates `config/model-gateway.yaml`: unknown keys and bad values are errors naming the file,
/// the key path and the reason, so nothing starts on a broken config.
public enum ConfigLoader {
    public static func load(path: String) throws(ConfigError) -> GatewayConfig {
        let text: String
        do {
            text = try readFile(path)
        } catch {
            throw ConfigError(file: path, path: "", line: nil, reason: "\(error)")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(ConfigError) -> GatewayConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigError(file: file, path: "", line: nil, reason: "not valid YAML: \(error)")
        }
        let top = try ConfigNode(node: root, path: "", file: file).mapping(
            allowed: ["server", "auth", "providers", "models", "failover", "rate_limits", "discovery"])
        let missing = ConfigNode(node: nil, path: "", file: file)

        let server = try (top["server"] ?? missing).mapping(
            allowed: [
                "port", "host", "max_request_bytes", "drain_timeout_s", "header_read_timeout_s", "body_read_timeout_s",
                "write_timeout_s", "idle_timeout_s", "max_connections", "max_concurrent_streams",
                "max_buffered_request_bytes", "max_buffered_request_bytes_per_connection", "max_image_bytes",
            ])
        let auth = try (top["auth"] ?? missing).mapping(allowed: ["api_keys", "keys"])
        let failover = try (top["failover"] ?? missing).mapping(allowed: ["strategies", "retries", "circuit_breaker"])
        let limits = try (top["rate_limits"] ?? missing).mapping(allowed: ["redis_url", "per_key", "redis_timeout_ms"])
        let discovery = try (top["discovery"] ?? missing).mapping(allowed: ["probe_interval_s"])

        var config = GatewayConfig(
            port: try optional(server["port"]) { node throws(ConfigError) in try node.int(in: 0...65535) } ?? 8000,
            host: try optional(server["host"]) { node throws(ConfigError) in try node.string() } ?? "0.0.0.0",
            maxRequestBytes: try optional(server["max_request_bytes"]) { node throws(ConfigError) in
                try node.int(in: 1024...(1 << 30))
            } ?? 4 * 1024 * 1024,
            apiKeys: try auth["api_keys"]?.stringList() ?? [],
            providers: [],
            models: [],
            failoverStrategies: GatewayConfig.defaultFailover,
            redisURL: try limits["redis_url"]?.string() ?? "",
            keyRateLimit: try limits["per_key"].map(rateLimit),
            probeIntervalS: try optional(discovery["probe_interval_s"]) { node throws(ConfigError) in
                try node.double(in: 0.1...86400)
            } ?? 30,
            drainTimeoutS: try optional(server["drain_timeout_s"]) { node throws(ConfigError) in
                try node.double(in: 0...3600)
            } ?? 25)
        if let strategies = failover["strategies"] {
            config.failoverStrategies = try strategies.sequence().map { node throws(ConfigError) in
                try node.oneOf(FailoverStrategy.self)
            }
        }
        config.server = try serverSettings(server)
        if let keys = auth["keys"] { config.namedKeys = try namedKeys(keys) }
        if let retries = failover["retries"] { config.retries = try retries.int(in: 0...5) }
        if let timeout = limits["redis_timeout_ms"] { config.redisTimeoutMs = try timeout.int(in: 1...10_000) }
        if let breaker = failover["circuit_breaker"] {
            let fields = try breaker.mapping(allowed: ["failure_threshold", "cooldown_s"])
            if let threshold = fields["failure_threshold"] { config.breakerThreshold = try threshold.int(in: 1...1000) }
            if let cooldown = fields["cooldown_s"] { config.breakerCooldownS = try cooldown.double(in: 0.01...86400) }
        }
        if !config.redisURL.isEmpty, !config.redisURL.hasPrefix("redis://") {
            throw limits["redis_url"]!.error("expected a redis:// URL")
        }
        config.providers = try providers(top["providers"] ?? missing)
        config.models = try models(top["models"] ?? missing, providers: config.providers)
        return config
    }

    private static func optional<T>(_ node: ConfigNode?, _ read: (ConfigNode) throws(ConfigError) -> T)
        throws(ConfigError) -> T?
    {
        guard let node, !node.isMissing else { return nil }
        return try read(node)
    }

    private static func rateLimit(_ node: ConfigNode) throws(ConfigError) -> RateLimit {
        let fields = try node.mapping(allowed: ["requests_per_minute"])
        guard let rpm = fields["requests_per_minute"] else { throw node.error("requests_per_minute is required") }
        return RateLimit(requestsPerMinute: try rpm.int(in: 1...10_000_000))
    }

    private static func namedKeys(_ list: ConfigNode) throws(ConfigError) -> [NamedKey] {
        var keys: [NamedKey] = []
        for item in try list.sequence() {
            let fields = try item.mapping(allowed: ["name", "key", "models", "rate_limit", "budget"])
            guard let name = try fields["name"]?.string(), !name.isEmpty else { throw item.error("name is required") }
            guard let key = try fields["key"]?.string(), !key.isEmpty else { throw item.error("key is required") }
            guard !keys.contains(where: { $0.name == name }) else { throw item.error("key name \(name) is used twice") }
            keys.append(
                NamedKey(
                    name: name, key: key, models: try fields["models"]?.stringList(),
                    rateLimit: try fields["rate_limit"].map(rateLimit), budget: try fields["budget"].map(budget)))
        }
        return keys
    }

    private static func budget(_ node: ConfigNode) throws(ConfigError) -> Budget {
        let fields = try node.mapping(allowed: ["usd_per_day", "tokens_per_month"])
        let budget = Budget(
            usdPerDay: try fields["usd_per_day"]?.double(in: 0...1_000_000_000),
            tokensPerMonth: try fields["tokens_per_month"]?.int(in: 0...(1 << 50)))
        guard budget.usdPerDay != nil || budget.tokensPerMonth != nil else {
            throw node.error("a budget needs usd_per_day or tokens_per_month")
        }
        return budget
    }

    private static func seconds(_ node: ConfigNode?) throws(ConfigError) -> Double? {
        try optional(node) { node throws(ConfigError) in try node.double(in: 0.001...86400) }
    }

    private static func serverSettings(_ server: [String: ConfigNode]) throws(ConfigError) -> ServerSettings {
        var settings = ServerSettings()
        settings.headerReadTimeoutS = try server["header_read_timeout_s"]?.double(in: 0.1...3600)
        settings.bodyReadTimeoutS = try server["body_read_timeout_s"]?.double(in: 0.1...3600)
        settings.writeTimeoutS = try server["write_timeout_s"]?.double(in: 0.1...3600)
        settings.idleTimeoutS = try server["idle_timeout_s"]?.double(in: 0.1...86400)
        settings.maxConnections = try server["max_connections"]?.int(in: 1...1_000_000)
        settings.maxConcurrentStreams = try server["max_concurrent_streams"]?.int(in: 1...100_000)
        settings.maxBufferedRequestBytes = try server["max_buffered_request_bytes"]?.int(in: 1 << 16...(1 << 40))
        settings.maxBufferedRequestBytesPerConnection =
            try server["max_buffered_request_bytes_per_connection"]?.int(in: 1 << 16...(1 << 40))
        if let images = server["max_image_bytes"] { settings.maxImageBytes = try images.int(in: 1024...(1 << 26)) }
        return settings
    }

    private static func providers(_ list: ConfigNode) throws(ConfigError) -> [ProviderConfig] {
        var result: [ProviderConfig] = []
        for item in try list.sequence() {
            let fields = try item.mapping(allowed: [
                "name", "type", "endpoint", "api_key", "timeout_s", "connect_timeout_s", "first_token_timeout_s",
                "idle_timeout_s", "max_concurrency", "rate_limit", "token_delay_ms", "discover", "max_response_bytes",
                "max_event_bytes",
            ])
            guard let nameNode = fields["name"], case let name = try nameNode.string(), !name.isEmpty else {
                throw item.error("name is required")
            }
            guard !result.contains(where: { $0.name == name }) else {
                throw nameNode.error("duplicate provider \"\(name)\"")
            }
            guard let typeNode = fields["type"] else { throw item.error("type is required") }
            let kind = try typeNode.oneOf(ProviderKind.self)
            var endpoint = try fields["endpoint"]?.string() ?? ""
            if endpoint.isEmpty, kind == .anthropic { endpoint = "https://api.anthropic.com" }
            if kind != .builtin {
                guard endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else {
                    throw (fields["endpoint"] ?? item).error("expected an http:// or https:// URL, got \"\(endpoint)\"")
                }
                while endpoint.hasSuffix("/") { endpoint.removeLast() }
            }
            let timeouts = UpstreamTimeouts(
                connect: try seconds(fields["connect_timeout_s"]) ?? 10,
                firstByte: try seconds(fields["first_token_timeout_s"]) ?? 60,
                idle: try seconds(fields["idle_timeout_s"]) ?? 60,
                total: try seconds(fields["timeout_s"]) ?? 120)
            var provider = ProviderConfig(
                name: name, kind: kind, endpoint: endpoint, apiKey: try fields["api_key"]?.string() ?? "",
                timeouts: timeouts,
                maxConcurrency: try optional(fields["max_concurrency"]) { node throws(ConfigError) in
                    try node.int(in: 1...1_000_000)
                },
                rateLimit: try fields["rate_limit"].map(rateLimit),
                tokenDelayMs: try optional(fields["token_delay_ms"]) { node throws(ConfigError) in
                    try node.int(in: 0...60_000)
                } ?? 0,
                discover: try optional(fields["discover"]) { node throws(ConfigError) in try node.bool() } ?? true)
            if let bytes = fields["max_response_bytes"] {
                provider.maxResponseBytes = try bytes.int(in: 1024...(1 << 30))
            }
            if let bytes = fields["max_event_bytes"] { provider.maxEventBytes = try bytes.int(in: 1024...(1 << 30)) }
            result.append(provider)
        }
        return result
    }

    private static func models(_ list: ConfigNode, providers: [ProviderConfig]) throws(ConfigError) -> [ModelConfig] {
        var result: [ModelConfig] = []
        var aliasOwners: [String: String] = [:]
        let items = try list.sequence()
        for item in items {
            let fields = try item.mapping(allowed: [
                "name", "provider", "providers", "upstream_model", "tier", "aliases", "fallbacks", "pricing",
                "context_length", "capabilities", "api", "rate_limit",
            ])
            guard let nameNode = fields["name"], case let name = try nameNode.string(), !name.isEmpty else {
                throw item.error("name is required")
            }
            guard !result.contains(where: { $0.name == name }) else {
                throw nameNode.error("duplicate model \"\(name)\"")
            }
            var serving: [String] = []
            switch (fields["provider"], fields["providers"]) {
            case (let single?, nil): serving = [try single.string()]
            case (nil, let many?): serving = try many.stringList()
            case (nil, nil): throw item.error("provider or providers is required")
            default: throw item.error("give either provider or providers, not both")
            }
            guard !serving.isEmpty else { throw item.error("providers must not be empty") }
            for providerName in serving where !providers.contains(where: { $0.name == providerName }) {
                throw (fields["provider"] ?? fields["providers"]!).error("unknown provider \"\(providerName)\"")
            }
            let aliases = try fields["aliases"]?.stringList() ?? []
            for alias in aliases {
                if let owner = aliasOwners[alias] {
                    throw fields["aliases"]!.error("alias \"\(alias)\" already names \(owner)")
                }
                aliasOwners[alias] = name
            }
            var pricing: Pricing?
            if let node = fields["pricing"] {
                let price = try node.mapping(allowed: [
                    "input_per_mtok", "output_per_mtok", "cached_input_per_mtok", "cache_write_per_mtok",
                ])
                pricing = Pricing(
                    inputPerMtok: try price["input_per_mtok"]?.double(in: 0...1_000_000) ?? 0,
                    outputPerMtok: try price["output_per_mtok"]?.double(in: 0...1_000_000) ?? 0,
                    cachedInputPerMtok: try price["cached_input_per_mtok"]?.double(in: 0...1_000_000),
                    cacheWritePerMtok: try price["cache_write_per_mtok"]?.double(in: 0...1_000_000))
            }
            result.append(
                ModelConfig(
                    name: name, providers: serving, upstreamModel: try fields["upstream_model"]?.string() ?? name,
                    tier: try fields["tier"].map { node throws(ConfigError) in try node.oneOf(Tier.self) },
                    aliases: aliases, fallbacks: try fields["fallbacks"]?.stringList() ?? [], pricing: pricing,
                    contextLength: try optional(fields["context_length"]) { node throws(ConfigError) in
                        try node.int(in: 1...100_000_000)
                    },
                    capabilities: try fields["capabilities"].map { node throws(ConfigError) in
                        try node.sequence().map { item throws(ConfigError) in try item.oneOf(Capability.self) }
                    },
                    api: try fields["api"].map { node throws(ConfigError) in
                        guard let style = OpenAIAPIStyle(rawValue: try node.string()) else {
                            throw node.error("expected chat or completions")
                        }
                        return style
                    } ?? .chat,
                    rateLimit: try fields["rate_limit"].map(rateLimit)))
        }
        for (index, model) in result.enumerated() {
            for fallback in model.fallbacks where !result.contains(where: { $0.name == fallback }) {
                throw items[index].error("fallback \"\(fallback)\" is not a configured model")
            }
            if aliasOwners[model.name] != nil {
                throw items[index].error("\"\(model.name)\" is both a model name and an alias")
            }
        }
        return result
    }
}
