import Testing

@testable import RPC

/// The method table: a path finds the method registered at exactly that path, the last registered there.
@Suite struct GRPCServerTests {
    private struct Bytes: GRPCRequestMessage, GRPCResponseMessage {
        var payload: [UInt8]
        init(grpcPayload: [UInt8]) { payload = grpcPayload }
        func grpcPayload() -> [UInt8] { payload }
    }

    private static func unary(_ path: String) -> GRPCMethod {
        .unary(path) { (request: Bytes, _) in request }
    }

    private static func streaming(_ path: String) -> GRPCMethod {
        .bidirectionalStreaming(path) { (_: GRPCRequestStream<Bytes>, _, _: GRPCResponseStream<Bytes>) in }
    }

    @Test func aPathFindsOnlyItsOwnMethod() {
        var server = GRPCServer()
        // The same length, told apart by their bytes; a prefix and a longer path find nothing.
        server.register(Self.unary("/pkg.Service/Alpha"))
        server.register(Self.streaming("/pkg.Service/Gamma"))
        #expect(!server.streamsRequests("/pkg.Service/Alpha"))
        #expect(server.streamsRequests("/pkg.Service/Gamma"))
        for other in ["/pkg.Service/Gamm", "/pkg.Service/Gammas", "/pkg.Service/gamma", "", "/"] {
            #expect(!server.streamsRequests(other), "\(other)")
        }
    }

    @Test func theLastMethodRegisteredAtAPathIsTheOneFound() {
        var server = GRPCServer()
        server.register(Self.unary("/pkg.Service/Alpha"))
        server.register(Self.streaming("/pkg.Service/Alpha"))
        #expect(server.streamsRequests("/pkg.Service/Alpha"))
        server.register(Self.unary("/pkg.Service/Alpha"))
        #expect(!server.streamsRequests("/pkg.Service/Alpha"))
    }
}
