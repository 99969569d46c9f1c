/// A W3C trace context (`traceparent: 00-<trace id>-<parent id>-<flags>`).
public struct TraceContext: Sendable, Equatable {
    public var traceID: String
    public var spanID: String
    public var sampled: Bool

    /// Parses a `traceparent` header; nil when it is absent or malformed (a new trace then starts).
    public init?(traceparent: String?) {
        // Checked as bytes: Character.isHexDigit also accepts fullwidth and other non-ASCII digits.
        guard let bytes = traceparent?.utf8, bytes.count == 55 else { return nil }
        let text = Array(bytes)
        func isHex(_ range: Range<Int>) -> Bool {
            text[range].allSatisfy { ASCII.hexValue($0) != nil }
        }
        guard text[0] == 0x30, text[1] == 0x30, text[2] == 0x2D, text[35] == 0x2D, text[52] == 0x2D,
            isHex(3..<35), isHex(36..<52), isHex(53..<55),
            text[3..<35].contains(where: { $0 != 0x30 }), text[36..<52].contains(where: { $0 != 0x30 })
        else { return nil }
        traceID = String(decoding: text[3..<35].map(ASCII.lowercased), as: UTF8.self)
        spanID = String(decoding: text[36..<52].map(ASCII.lowercased), as: UTF8.self)
        sampled = (ASCII.hexValue(text[54]) ?? 0) & 1 == 1
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
