import CompatibleAPIs
import Gateway
import ModelGatewayGRPC
import RESTShim
import RPC

/// Puts the product together: one listener whose gRPC side serves ModelGateway, health and reflection,
/// and whose HTTP side serves the REST shim — all on one `ModelGateway`.
struct GatewayServer {
    let gateway: ModelGateway
    let server: HTTPServer

    init(config: GatewayConfig) {
        gateway = ModelGateway(config: config)
        let grpc = GatewayGRPCServer.make(gateway: gateway, maxReceiveMessageBytes: config.maxRequestBytes)
        let rest = RESTShim(gateway: gateway)
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
        server = HTTPServer(
            limits: limits,
            responder: FrontDoor(grpc: grpc, router: rest.router(CompatibleAPIs(gateway: gateway).register)),
            errorRenderer: rest.protocolErrors)
    }
}
