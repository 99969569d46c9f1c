import Gateway
import RESTShim
import RPC

/// Puts the product together: one listener whose gRPC side serves ModelGateway, health and reflection,
/// and whose HTTP side serves the REST shim — all on one `ModelGateway`.
struct GatewayServer {
    let gateway: ModelGateway
    let server: HTTPServer

    init(config: GatewayConfig) {
        gateway = ModelGateway(config: config)
        var grpc = GRPCServer()
        for method in ModelGatewayService(gateway: gateway).methods + HealthCheckService(gateway: gateway).methods
            + ReflectionService().methods
        {
            grpc.register(method)
        }
        // Every response carries an x-request-id: the client's when it is a sane token (as over REST), or a new one.
        grpc.echoedMetadata = []
        grpc.interceptor = { context in
            context.responseMetadata.set("x-request-id", RequestID.accepting(context.requestMetadata["x-request-id"]))
        }
        // Every response carries the gateway's own time: calls that waited on providers set it themselves
        // (their provider time left out); for the rest it is the whole time of the call.
        grpc.beforeResponseHead = { context in
            if context.responseMetadata["x-request-id"] == nil {
                context.responseMetadata.set(
                    "x-request-id", RequestID.accepting(context.requestMetadata["x-request-id"]))
            }
            if context.responseMetadata["x-gateway-overhead-ms"] == nil {
                let milliseconds = Double(context.startedAt.nanoseconds(until: .now())) / 1e6
                context.responseMetadata.set("x-gateway-overhead-ms", ModelGatewayService.format3(milliseconds))
            }
        }
        var router = RESTShim.router()
        RESTShim(gateway: gateway).register(on: &router)
        var limits = ServerLimits()
        // The gRPC framing adds 5 bytes to a message of the configured maximum.
        limits.maxRequestBodyBytes = config.maxRequestBytes + 5
        let settings = config.server
        if let value = settings.headerReadTimeoutS { limits.headerReadTimeoutSeconds = value }
        if let value = settings.bodyReadTimeoutS { limits.bodyReadTimeoutSeconds = value }
        if let value = settings.writeTimeoutS { limits.writeTimeoutSeconds = value }
        if let value = settings.idleTimeoutS { limits.idleTimeoutSeconds = value }
        if let value = settings.maxConnections { limits.maxConnections = value }
        if let value = settings.maxConcurrentStreams { limits.maxConcurrentStreams = UInt32(value) }
        if let value = settings.maxBufferedRequestBytes { limits.maxBufferedRequestBytes = value }
        if let value = settings.maxBufferedRequestBytesPerConnection {
            limits.maxBufferedRequestBytesPerConnection = value
        }
        grpc.maxReceiveMessageBytes = config.maxRequestBytes
        server = HTTPServer(
            limits: limits, responder: FrontDoor(grpc: grpc, router: router), errorRenderer: RESTShim.protocolErrors)
    }
}
