import Reactor
import Synchronization

/// Counters, gauges and histograms with labels, rendered in the Prometheus text exposition format.
public final class MetricsRegistry: Sendable {
    /// Default histogram bounds in seconds: sub-millisecond (gateway overhead) to minutes (long generations).
    public static let secondsBuckets: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
    ]

    fileprivate enum Kind: String { case counter, gauge, histogram }

    /// One declared metric and its series. Its user may keep it, so updates skip the lookup by name.
    ///
    /// A class, so that an update reaches its tables through a reference: mutating a struct inside the
    /// families dictionary goes through a coroutine that allocates, six times per request. Sendable because
    /// its tables are only touched under the registry's lock.
    public final class Family: @unchecked Sendable {
        fileprivate let kind: Kind
        fileprivate let help: String
        fileprivate let buckets: [Double]
        fileprivate let labelNames: [String]
        /// A gauge read when rendered, for values kept elsewhere (an atomic the hot path updates).
        fileprivate let sample: (@Sendable () -> Double)?
        fileprivate var values: [[String]: Series] = [:]
        fileprivate var histograms: [[String]: HistogramSeries] = [:]

        fileprivate init(
            kind: Kind, help: String, buckets: [Double], labelNames: [String], sample: (@Sendable () -> Double)?
        ) {
            self.kind = kind
            self.help = help
            self.buckets = buckets
            self.labelNames = labelNames
            self.sample = sample
        }
    }

    /// One labelled series of a counter or gauge. Whoever keeps it updates it without finding it by its
    /// label values (hashing each of them) again. Touched only under the registry's lock.
    public final class Series: @unchecked Sendable {
        fileprivate var value: Double = 0
    }

    /// One labelled series of a histogram; kept like `Series`.
    public final class HistogramSeries: @unchecked Sendable {
        fileprivate var histogram: Histogram
        fileprivate let buckets: [Double]

        fileprivate init(buckets: [Double]) {
            self.buckets = buckets
            histogram = Histogram(counts: Array(repeating: 0, count: buckets.count))
        }
    }

    /// Updates made under one hold of the lock (the end of a call records several); only `update` makes one.
    public struct Batch: ~Copyable {
        fileprivate init() {}

        /// The series of a counter or gauge with these label values, made now if it is new.
        public func series(_ family: Family, _ labels: [String]) -> Series {
            if let known = family.values[labels] { return known }
            let made = Series()
            family.values[labels] = made
            return made
        }

        /// The series of a histogram with these label values, made now if it is new.
        public func histogramSeries(_ family: Family, _ labels: [String]) -> HistogramSeries {
            if let known = family.histograms[labels] { return known }
            let made = HistogramSeries(buckets: family.buckets)
            family.histograms[labels] = made
            return made
        }

        /// Adds to a counter or gauge (negative for a gauge going down).
        public func add(_ family: Family, _ labels: [String], _ amount: Double = 1) {
            add(series(family, labels), amount)
        }

        public func add(_ series: Series, _ amount: Double = 1) {
            series.value += amount
        }

        public func observe(_ family: Family, _ labels: [String], _ value: Double) {
            observe(histogramSeries(family, labels), value)
        }

        public func observe(_ series: HistogramSeries, _ value: Double) {
            series.histogram.record(value, buckets: series.buckets)
        }
    }

    /// Runs `body`'s updates under one hold of the lock.
    public func update(_ body: (borrowing Batch) -> Void) {
        families.withLock { _ in body(Batch()) }
    }

    /// Observations per bucket: `counts[i]` holds those above bucket i − 1's bound and up to bucket i's (one
    /// increment per observation, made cumulative when rendered); those above every bound are only in `count`.
    fileprivate struct Histogram {
        var counts: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0

        mutating func record(_ value: Double, buckets: [Double]) {
            if let index = buckets.firstIndex(where: { value <= $0 }) { counts[index] += 1 }
            sum += value
            count += 1
        }
    }

    /// Guards every family's tables too: families are only touched inside `withLock`.
    private let families = Locked<[String: Family]>([:])
    private let order = Locked<[String]>([])

    public init() {}

    /// The family called `name`, declared now unless it already was.
    private func declare(
        _ name: String, _ kind: Kind, _ help: String, labels: [String], buckets: [Double] = [],
        sample: (@Sendable () -> Double)? = nil
    ) -> Family {
        families.withLock { families in
            if let declared = families[name] { return declared }
            let family = Family(kind: kind, help: help, buckets: buckets, labelNames: labels, sample: sample)
            families[name] = family
            order.withLock { $0.append(name) }
            return family
        }
    }

    @discardableResult
    public func counter(_ name: String, help: String, labels: [String] = []) -> Family {
        declare(name, .counter, help, labels: labels)
    }

    @discardableResult
    public func gauge(_ name: String, help: String, labels: [String] = []) -> Family {
        declare(name, .gauge, help, labels: labels)
    }

    /// A gauge without labels whose value `sample` reads at each scrape.
    @discardableResult
    public func gauge(_ name: String, help: String, sampling sample: @escaping @Sendable () -> Double) -> Family {
        declare(name, .gauge, help, labels: [], sample: sample)
    }

    @discardableResult
    public func histogram(
        _ name: String, help: String, labels: [String] = [], buckets: [Double] = secondsBuckets
    ) -> Family {
        declare(name, .histogram, help, labels: labels, buckets: buckets)
    }

    /// Adds to a counter or gauge (negative for a gauge going down).
    public func add(_ name: String, _ labels: [String] = [], _ amount: Double = 1) {
        families.withLock { families in
            guard let family = families[name] else { return }
            Batch().add(family, labels, amount)
        }
    }

    public func set(_ name: String, _ labels: [String] = [], _ value: Double) {
        families.withLock { families in
            guard let family = families[name] else { return }
            Batch().series(family, labels).value = value
        }
    }

    public func observe(_ name: String, _ labels: [String] = [], _ value: Double) {
        families.withLock { families in
            guard let family = families[name] else { return }
            Batch().observe(family, labels, value)
        }
    }

    /// The current value of a counter or gauge, for tests.
    public func value(_ name: String, _ labels: [String] = []) -> Double {
        families.withLock { families in
            guard let family = families[name] else { return 0 }
            return family.sample?() ?? family.values[labels]?.value ?? 0
        }
    }

    /// The Prometheus text exposition (version 0.0.4).
    public func render() -> String {
        let names = order.withLock { $0 }
        return families.withLock { families in
            var out = ""
            for name in names {
                guard let family = families[name] else { continue }
                out += "# HELP \(name) \(family.help)\n# TYPE \(name) \(family.kind.rawValue)\n"
                func labelText(_ values: [String], extra: String? = nil) -> String {
                    var pairs = zip(family.labelNames, values).map { "\($0)=\"\(Self.escape($1))\"" }
                    if let extra { pairs.append(extra) }
                    return pairs.isEmpty ? "" : "{" + pairs.joined(separator: ",") + "}"
                }
                if family.kind == .histogram {
                    for labels in family.histograms.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                        let entry = family.histograms[labels]!.histogram
                        var cumulative: UInt64 = 0
                        for (index, bound) in family.buckets.enumerated() {
                            cumulative += entry.counts[index]
                            out +=
                                "\(name)_bucket\(labelText(labels, extra: "le=\"\(Self.number(bound))\"")) \(cumulative)\n"
                        }
                        out += "\(name)_bucket\(labelText(labels, extra: "le=\"+Inf\"")) \(entry.count)\n"
                        out += "\(name)_sum\(labelText(labels)) \(Self.number(entry.sum))\n"
                        out += "\(name)_count\(labelText(labels)) \(entry.count)\n"
                    }
                } else {
                    if let sample = family.sample {
                        out += "\(name) \(Self.number(sample()))\n"
                    } else if family.values.isEmpty, family.labelNames.isEmpty {
                        out += "\(name) 0\n"
                    }
                    for labels in family.values.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                        out += "\(name)\(labelText(labels)) \(Self.number(family.values[labels]!.value))\n"
                    }
                }
            }
            return out
        }
    }

    /// A label value as the exposition format quotes it: backslash, double quote and line feed escaped.
    /// Done on bytes: as Characters, a CR LF pair is one grapheme that matches neither "\r" nor "\n", and
    /// it would reach the scraper raw, breaking every line after it. Other control bytes, which the format
    /// cannot escape and some scrapers split lines on, become U+FFFD.
    static func escape(_ value: String) -> String {
        let needsWork = value.utf8.contains { $0 < 0x20 || $0 == 0x7F || $0 == 0x5C || $0 == 0x22 }
        guard needsWork else { return value }
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count + 8)
        for byte in value.utf8 {
            switch byte {
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
            case 0..<0x20, 0x7F: out.append(contentsOf: [0xEF, 0xBF, 0xBD])
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }
}

/// The metrics of contract §6, declared once.
public struct GatewayMetrics: Sendable {
    public let registry = MetricsRegistry()
    /// Requests being answered now: an atomic on the request path, read only when scraped.
    let inflight = Atomic<Int>.Counter()
    /// The families every call updates, kept in hand.
    let requests: MetricsRegistry.Family
    let requestDuration: MetricsRegistry.Family
    let timeToFirstToken: MetricsRegistry.Family
    let tokens: MetricsRegistry.Family
    let cost: MetricsRegistry.Family
    let overhead: MetricsRegistry.Family
    /// The series of those every call updates, kept by label values (touched inside `registry.update`).
    let callSeries = CallSeries()

    public init() {
        requests = registry.counter(
            "gateway_requests_total", help: "Requests by method, model, provider and result code.",
            labels: ["method", "model", "provider", "code"])
        requestDuration = registry.histogram(
            "gateway_request_duration_seconds", help: "Time from request to last byte of the answer.",
            labels: ["method"])
        timeToFirstToken = registry.histogram(
            "gateway_time_to_first_token_seconds", help: "Time from request to the first streamed content.",
            labels: ["model", "provider"])
        tokens = registry.counter(
            "gateway_tokens_total", help: "Tokens by model, provider and kind (prompt or completion).",
            labels: ["model", "provider", "kind"])
        cost = registry.counter(
            "gateway_cost_usd_total", help: "Cost in US dollars by model and provider.", labels: ["model", "provider"])
        registry.gauge("gateway_inflight_requests", help: "Requests being answered now.") { [inflight] in
            Double(inflight.current)
        }
        registry.gauge(
            "gateway_provider_up", help: "1 when the provider answered its last probe.", labels: ["provider"])
        registry.counter(
            "gateway_failovers_total", help: "Moves from a failed model to the next candidate.", labels: ["from", "to"])
        registry.counter(
            "gateway_config_reloads_total", help: "Configuration reloads (SIGHUP) by result.", labels: ["result"])
        overhead = registry.histogram(
            "gateway_overhead_seconds", help: "Request time not spent waiting on providers: the gateway's own cost.",
            labels: ["method"])
    }
}
