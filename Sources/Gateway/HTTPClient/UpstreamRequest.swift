/// Per-request time limits for a provider call; nil means no limit of that kind.
public struct UpstreamTimeouts: Sendable, Equatable {
    /// TCP (and TLS) connection set-up.
    public var connect: Double?
    /// From the request until the first byte of the response body (the first token, for streams).
    public var firstByte: Double?
    /// Between two pieces of the response body.
    public var idle: Double?
    /// The whole exchange.
    public var total: Double?
    /// True when `total` was cut to the client's own deadline: its expiry is then the client's, not a
    /// provider failure.
    public var totalIsClientDeadline = false

    public init(connect: Double? = nil, firstByte: Double? = nil, idle: Double? = nil, total: Double? = nil) {
        self.connect = connect
        self.firstByte = firstByte
        self.idle = idle
        self.total = total
    }
}

/// An HTTP request to a provider.
public struct UpstreamRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    public var timeouts: UpstreamTimeouts
    /// A streamed answer: the first-token timeout runs until the consumer reports content
    /// (`UpstreamBody.contentStarted()`) rather than until the response head.
    public var streaming = false

    public init(
        method: String = "GET", url: String, headers: [(String, String)] = [], body: [UInt8] = [],
        timeouts: UpstreamTimeouts = UpstreamTimeouts()
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
    }

    /// A JSON POST.
    public static func post(
        _ url: String, json: JSON, headers: [(String, String)] = [], timeouts: UpstreamTimeouts, streaming: Bool = false
    ) -> UpstreamRequest {
        post(url, body: JSONSerializer.serialize(json), headers: headers, timeouts: timeouts, streaming: streaming)
    }

    /// A POST of a JSON document already serialized.
    public static func post(
        _ url: String, body: [UInt8], headers: [(String, String)] = [], timeouts: UpstreamTimeouts,
        streaming: Bool = false
    ) -> UpstreamRequest {
        var all: [(String, String)] = []  // one array, not a literal and then the concatenation
        all.reserveCapacity(headers.count + 1)
        all.append(("content-type", "application/json"))
        all.append(contentsOf: headers)
        var request = UpstreamRequest(method: "POST", url: url, headers: all, body: body, timeouts: timeouts)
        request.streaming = streaming
        return request
    }
}

/// A provider's response: status and headers at once, the body as it streams in.
public struct UpstreamResponse: Sendable {
    public var status: Int
    public var headers: ResponseHeaders
    public var body: UpstreamBody

    /// The first value of header `name` (lower case).
    public func header(_ name: String) -> String? {
        headers.value(name)
    }
}
