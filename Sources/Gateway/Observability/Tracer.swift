import Reactor

/// Records spans and exports them over OTLP/HTTP (JSON) to `OTEL_EXPORTER_OTLP_ENDPOINT`, in batches from a
/// background task. Without an endpoint it is disabled: no span is built, nothing is sent.
public final class Tracer: Sendable {
    public let isEnabled: Bool
    private let endpoint: String
    private let serviceName: String
    private let client: HTTPClient
    private let pending = Locked<[Span]>([])
    private let batchSize = 256

    public init(
        endpoint: String? = EnvironmentExpansion.environment("OTEL_EXPORTER_OTLP_ENDPOINT"),
        serviceName: String? = EnvironmentExpansion.environment("OTEL_SERVICE_NAME"), client: HTTPClient = HTTPClient()
    ) {
        var base = endpoint ?? ""
        while base.hasSuffix("/") { base.removeLast() }
        isEnabled = !base.isEmpty
        self.endpoint = base + "/v1/traces"
        self.serviceName = serviceName.flatMap { $0.isEmpty ? nil : $0 } ?? "model-gateway"
        self.client = client
    }

    /// A span being measured; `end` hands it to the exporter.
    public struct ActiveSpan: Sendable {
        let tracer: Tracer
        let name: String
        public let context: TraceContext
        let parentSpanID: String?
        let kind: Span.Kind
        let start = WallClock.nanoseconds()

        func end(error: String? = nil, _ attributes: [(String, JSON)] = []) {
            tracer.record(
                Span(
                    name: name, context: context, parentSpanID: parentSpanID, kind: kind, startUnixNanos: start,
                    endUnixNanos: WallClock.nanoseconds(), attributes: attributes, error: error))
        }
    }

    /// Starts a span under `parent` (a new trace when nil); nil when tracing is off or not sampled. The name
    /// is made only for a span that is recorded.
    func start(_ name: @autoclosure () -> String, parent: TraceContext?, kind: Span.Kind) -> ActiveSpan? {
        guard isEnabled, parent?.sampled ?? true else { return nil }
        let context = parent?.child() ?? TraceContext.newTrace()
        return ActiveSpan(tracer: self, name: name(), context: context, parentSpanID: parent?.spanID, kind: kind)
    }

    private func record(_ span: Span) {
        let full = pending.withLock { spans -> Bool in
            spans.append(span)
            return spans.count >= batchSize
        }
        if full { BackgroundTask.start { await self.flush() } }
    }

    /// Sends what is buffered. Export failures are dropped: tracing must never hurt serving.
    public func flush() async {
        let spans = pending.withLock { spans in
            defer { spans.removeAll() }; return spans
        }
        guard !spans.isEmpty else { return }
        let body = OTLPEncoding.traces(spans, serviceName: serviceName)
        let request = UpstreamRequest.post(endpoint, json: body, timeouts: UpstreamTimeouts(connect: 2, total: 5))
        if let response = try? await client.send(request) { _ = try? await response.body.collect(limit: 1 << 16) }
    }

    /// Flushes every `interval` until cancelled.
    public func run(interval: Duration = .seconds(1)) async {
        guard isEnabled else { return }
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            await flush()
        }
    }
}

/// OTLP/HTTP JSON encoding of spans (opentelemetry-proto's JSON mapping: ids in hex, times as strings).
enum OTLPEncoding {
    static func attribute(_ key: String, _ value: JSON) -> JSON {
        let typed: JSON
        switch value {
        case .number(let number) where number.rounded() == number && abs(number) < 9e15:
            typed = ["intValue": .string(String(Int64(number)))]
        case .number(let number): typed = ["doubleValue": .number(number)]
        case .bool(let flag): typed = ["boolValue": .bool(flag)]
        default: typed = ["stringValue": .string(value.stringValue ?? JSONSerializer.string(value))]
        }
        return ["key": .string(key), "value": typed]
    }

    static func traces(_ spans: [Span], serviceName: String) -> JSON {
        let encoded: [JSON] = spans.map { span in
            var object: JSONObject = [
                "traceId": .string(span.context.traceID), "spanId": .string(span.context.spanID),
                "name": .string(span.name), "kind": .number(Double(span.kind.rawValue)),
                "startTimeUnixNano": .string(String(span.startUnixNanos)),
                "endTimeUnixNano": .string(String(span.endUnixNanos)),
                "attributes": .array(span.attributes.map { attribute($0.0, $0.1) }),
                "status": span.error.map { ["code": 2, "message": .string($0)] } ?? ["code": 1],
            ]
            if let parent = span.parentSpanID { object["parentSpanId"] = .string(parent) }
            return .object(object)
        }
        return [
            "resourceSpans": [
                [
                    "resource": ["attributes": [attribute("service.name", .string(serviceName))]],
                    "scopeSpans": [
                        [
                            "scope": ["name": "model-gateway", "version": .string(ModelGateway.version)],
                            "spans": .array(encoded),
                        ]
                    ],
                ]
            ]
        ]
    }
}
