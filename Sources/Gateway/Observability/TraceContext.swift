/// A W3C trace context (`traceparent: 00-<trace id>-<parent id>-<flags>`).
public struct TraceContext: Sendable, Equatable {
    public var traceID: String
    public var spanID: String
    public var sampled: Bool

    /// Parses a `traceparent` header; nil when it is absent or malformed (a new trace then starts).
    public init?(traceparent: String?) {
        guard let parts = traceparent?.split(separator: "-"), parts.count == 4, parts[0] == "00",
            parts[1].count == 32, parts[2].count == 16, parts[3].count == 2,
            parts[1...3].allSatisfy({ $0.allSatisfy(\.isHexDigit) }),
            parts[1] != String(repeating: "0", count: 32), parts[2] != String(repeating: "0", count: 16)
        else { return nil }
        traceID = parts[1].lowercased()
        spanID = parts[2].lowercased()
        sampled = (UInt8(parts[3], radix: 16) ?? 0) & 1 == 1
    }

    public init(traceID: String, spanID: String, sampled: Bool = true) {
        self.traceID = traceID
        self.spanID = spanID
        self.sampled = sampled
    }

    public var traceparent: String { "00-\(traceID)-\(spanID)-\(sampled ? "01" : "00")" }

    static func randomHex(bytes: Int) -> String {
        RequestID.hexString(bytes: bytes)
    }

    /// A new span in this trace.
    func child() -> TraceContext {
        TraceContext(traceID: traceID, spanID: Self.randomHex(bytes: 8), sampled: sampled)
    }

    static func newTrace() -> TraceContext {
        TraceContext(traceID: randomHex(bytes: 16), spanID: randomHex(bytes: 8))
    }
}

/// A finished span, ready for export.
struct Span: Sendable {
    enum Kind: Int { case server = 2, client = 3 }

    var name: String
    var context: TraceContext
    var parentSpanID: String?
    var kind: Kind
    var startUnixNanos: Int64
    var endUnixNanos: Int64
    var attributes: [(String, JSON)]
    var error: String?
}
