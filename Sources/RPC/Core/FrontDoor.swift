/// The server's responder: gRPC requests (by content type) go to the gRPC server, the rest to the router.
public struct FrontDoor: HTTPResponder {
    public var grpc: GRPCServer
    public var router: Router

    public init(grpc: GRPCServer, router: Router) {
        self.grpc = grpc
        self.router = router
    }

    public func streamsRequestBody(path: String, headers: HTTPFields) -> Bool {
        headers["content-type"]?.hasPrefix("application/grpc") == true && grpc.streamsRequests(path)
    }

    public func respond(to request: ServerRequest, writer: any ResponseWriter, context: RequestContext) async {
        if GRPCServer.isGRPC(request) {
            await grpc.handle(request, writer: writer, context: context)
        } else {
            await router.respond(to: request, writer: writer, context: context)
        }
    }
}
