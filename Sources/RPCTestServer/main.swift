import ArgumentParser
import Glibc
import RPC

/// The RPC server with a test service, for the server's end-to-end tests; not shipped as a product feature.
struct RPCTestServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc-test-server", abstract: "The RPC server with its end-to-end test service.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on; 0 picks a free one.") var port = 0
    @Option(help: "Event loops (default: one per core).") var loops: Int?
    @Option(help: "Largest request body in bytes.") var maxBodyBytes: Int?
    @Option(help: "Idle connection timeout in seconds.") var idleTimeout: Double?
    @Option(help: "Request-head timeout in seconds.") var headerTimeout: Double?
    @Option(help: "Drain timeout at shutdown, in seconds.") var drainTimeout: Double = 10
    @Option(help: "Body-read timeout in seconds.") var bodyTimeout: Double?
    @Option(help: "Write timeout in seconds.") var writeTimeout: Double?
    @Option(help: "Open connections accepted at most.") var maxConnections: Int?
    @Option(help: "Request body bytes one connection may hold.") var connectionBufferBytes: Int?
    @Option(help: "Request body bytes all connections may hold.") var processBufferBytes: Int?

    func run() throws {
        TerminationSignals.block()
        var grpc = GRPCServer()
        for method in TestService().methods { grpc.register(method) }
        var limits = ServerLimits()
        if let maxBodyBytes { limits.maxRequestBodyBytes = maxBodyBytes }
        if let idleTimeout { limits.idleTimeoutSeconds = idleTimeout }
        if let headerTimeout { limits.headerReadTimeoutSeconds = headerTimeout }
        if let bodyTimeout { limits.bodyReadTimeoutSeconds = bodyTimeout }
        if let writeTimeout { limits.writeTimeoutSeconds = writeTimeout }
        if let maxConnections { limits.maxConnections = maxConnections }
        if let connectionBufferBytes { limits.maxBufferedRequestBytesPerConnection = connectionBufferBytes }
        if let processBufferBytes { limits.maxBufferedRequestBytes = processBufferBytes }
        let server = HTTPServer(
            limits: limits, responder: FrontDoor(grpc: grpc, router: TestRoutes.router()), loopCount: loops)
        try server.start(host: host, port: port)
        print("listening on \(host):\(server.port)")
        fflush(nil)
        _ = TerminationSignals.wait()
        server.shutdown(drainTimeoutSeconds: drainTimeout)
        print("stopped")
    }
}

RPCTestServerCommand.main()
