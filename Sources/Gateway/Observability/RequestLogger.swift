import Glibc

/// Structured JSON log lines on standard error, one `write` each (so lines never interleave), filtered by
/// `LOG_LEVEL` (debug, info, warn, error; default info). API keys never appear: only their short ids.
public struct RequestLogger: Sendable {
    public enum Level: Int, Sendable, Comparable {
        case debug, info, warn, error

        public init(name: String?) {
            switch name?.lowercased() {
            case "debug": self = .debug
            case "warn", "warning": self = .warn
            case "error": self = .error
            default: self = .info
            }
        }

        var name: String { ["debug", "info", "warn", "error"][rawValue] }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public let level: Level

    public init(level: Level = Level(name: EnvironmentExpansion.environment("LOG_LEVEL"))) {
        self.level = level
    }

    public func log(_ level: Level, _ message: String, _ fields: JSONObject = JSONObject()) {
        guard level >= self.level else { return }
        var line: JSONObject = [
            "ts": .string(WallClock.rfc3339()), "level": .string(level.name), "msg": .string(message),
        ]
        for entry in fields.entries { line[entry.key] = entry.value }
        var bytes = JSONSerializer.serialize(.object(line))
        bytes.append(0x0A)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    /// The one line each request gets when it ends.
    func request(
        method: String, context: CallContext, model: String, provider: String, status: String, tokensInput: Int = 0,
        tokensOutput: Int = 0
    ) {
        guard Level.info >= level else { return }
        log(
            .info, "request",
            [
                "request_id": .string(context.requestID), "method": .string(method), "model": .string(model),
                "provider": .string(provider), "status": .string(status), "tokens_input": .number(Double(tokensInput)),
                "tokens_output": .number(Double(tokensOutput)),
                "latency_ms": .thousandths(context.timing.elapsedMilliseconds),
                "overhead_ms": .number((context.timing.overheadSeconds * 1e6).rounded() / 1000),
                "key": context.keyID.map { .string($0) } ?? .null,
            ])
    }
}
