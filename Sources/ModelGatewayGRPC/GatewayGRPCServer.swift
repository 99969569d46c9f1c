import Gateway
import RPC

/// The gRPC side of the product: ModelGateway, health and reflection on the generic gRPC server, with the
/// admission's decorations on every answer.
public enum GatewayGRPCServer {
    public static func make(gateway: ModelGateway, maxReceiveMessageBytes: Int) -> GRPCServer {
        var grpc = GRPCServer()
        for method in ModelGatewayService(gateway: gateway).methods + HealthCheckService(gateway: gateway).methods
            + ReflectionService().methods
        {
            grpc.register(method)
        }
        grpc.maxReceiveMessageBytes = maxReceiveMessageBytes
        // The request id is the admission's, never a plain echo of whatever the client sent.
        grpc.echoedMetadata = []
        // Calls that were admitted carry their decorations already (their provider time left out of the
        // overhead); open methods and calls refused by the transport (unknown method, bad message) are
        // admitted here, as open calls, for theirs.
        grpc.beforeResponseHead = { context in
            guard context.responseMetadata["x-request-id"] == nil else {
                if context.responseMetadata["x-gateway-overhead-ms"] == nil {
                    let seconds = Double(context.startedAt.nanoseconds(until: .now())) / 1e9
                    context.responseMetadata.set(
                        "x-gateway-overhead-ms", ResponseDecorations.milliseconds(seconds * 1000), indexed: false)
                }
                return
            }
            let call = ModelGatewayService.admission(gateway, context, open: true).context
            for field in call.decorations().fields {
                context.responseMetadata.set(field.name, field.value, indexed: false)
            }
        }
        return grpc
    }
}
