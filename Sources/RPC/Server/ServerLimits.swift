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
    /// A request body must arrive whole within this time of its head (408 over HTTP/1.1, a reset stream
    /// over HTTP/2). Bodies read while the handler runs (bidirectional gRPC) are the handler's to pace.
    public var bodyReadTimeoutSeconds: Double = 60
    /// Response bytes the peer has not taken for this long end the connection (or, over HTTP/2, the stream
    /// the peer stopped granting window to): a client that stops reading cannot hold buffers forever.
    public var writeTimeoutSeconds: Double = 60
    /// HTTP/1.1 requests read ahead of the one being answered (pipelining) before reading pauses.
    public var maxPipelinedRequests = 32
    /// Buffered response bytes per stream or connection above which writers wait for the peer.
    public var outboundHighWatermark = 256 * 1024
    /// Request body bytes one connection may hold (over HTTP/2, the sum of its streams' bodies until they
    /// close); past it the connection stops granting flow-control window (HTTP/2) or stops reading.
    public var maxBufferedRequestBytesPerConnection = 32 * 1024 * 1024
    /// Request body bytes all connections together may hold; past it they all wait, as above.
    public var maxBufferedRequestBytes = 512 * 1024 * 1024
    /// Open client connections; past it the server stops accepting until one closes.
    public var maxConnections = 16_384

    public init() {}
}
