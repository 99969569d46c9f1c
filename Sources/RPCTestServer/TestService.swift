import RPC
import Synchronization

/// rpctest.v1.TestService: echo, streaming, slow and failing handlers that end-to-end tests drive.
final class TestService: Sendable {
    private let cancelled = Atomic<Int64>(0)
    private let active = Atomic<Int64>(0)

    var methods: [GRPCMethod] {
        [
            .unary("/rpctest.v1.TestService/Echo") { (request: EchoRequest, _) in
                EchoResponse(message: request.message, index: 0, payload: request.payload)
            },
            .serverStreaming("/rpctest.v1.TestService/StreamEcho") {
                (request: EchoRequest, _, stream: GRPCResponseStream<EchoResponse>) in
                try await self.tracked {
                    for index in 0..<max(0, request.count) {
                        if index > 0, request.delayMs > 0 {
                            try await Task.sleep(for: .milliseconds(Int(request.delayMs)))
                        }
                        try await stream.send(
                            EchoResponse(message: request.message, index: index, payload: request.payload))
                    }
                }
            },
            .unary("/rpctest.v1.TestService/Slow") { (request: EchoRequest, _) in
                try await self.tracked {
                    try await Task.sleep(for: .milliseconds(Int(request.delayMs)))
                    return EchoResponse(message: request.message, index: 0, payload: [])
                }
            },
            .unary("/rpctest.v1.TestService/Fail") { (request: EchoRequest, _) -> EchoResponse in
                let code = GRPCStatus.Code(rawValue: Int(request.failCode)) ?? .unknown
                throw GRPCStatus(code, request.message)
            },
            .unary("/rpctest.v1.TestService/Stats") { (_: StatsRequest, _) in
                StatsResponse(
                    cancelled: self.cancelled.load(ordering: .relaxed), active: self.active.load(ordering: .relaxed))
            },
        ]
    }

    /// Counts the handler as active while it runs, and as cancelled if it ends by cancellation.
    private func tracked<T>(_ body: () async throws -> T) async throws -> T {
        active.add(1, ordering: .relaxed)
        defer { active.subtract(1, ordering: .relaxed) }
        do {
            return try await body()
        } catch {
            if error is CancellationError || Task.isCancelled { cancelled.add(1, ordering: .relaxed) }
            throw error
        }
    }
}
