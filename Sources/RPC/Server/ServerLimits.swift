/// Limits that protect the server from abusive or broken peers; each has a production default.
public struct ServerLimits: Sendable {
    /// Largest request body accepted; larger ones are answered 413 / RESOURCE_EXHAUSTED.
    public var maxRequestBodyBytes = 4 * 1024 * 1024 + 5
    /// Largest header block (names plus values) accepted on a request.
    public var maxHeaderListBytes = 16 * 1024
    /// HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS advertised to each client.
    public var maxConcurrentStreams: UInt32 = 1000
    /// A connection with no request in flight and no bytes read for this long is closed.
    public var idleTimeoutSeconds: Double = 120
    /// A request head (or the HTTP/2 preface) must arrive within this time of its first byte.
    public var headerReadTimeoutSeconds: Double = 10
    /// HTTP/1.1 requests read ahead of the one being answered (pipelining) before reading pauses.
    public var maxPipelinedRequests = 32
    /// Buffered response bytes per stream or connection above which writers wait for the peer.
    public var outboundHighWatermark = 256 * 1024

    public init() {}
}
