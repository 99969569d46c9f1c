import CGatewayProto
import Gateway
import RPC

/// grpc.health.v1.Health: SERVING while the gateway is healthy or degraded, NOT_SERVING when no provider
/// is up; for the whole server ("") and for `modelgateway.v1.ModelGateway`. Watch sends the status at once
/// and again whenever it changes.
public struct HealthCheckService: Sendable {
    public static let name = "grpc.health.v1.Health"
    static let knownServices: Set<String> = ["", ModelGatewayService.name]
    let gateway: ModelGateway
    /// How often Watch looks for a change.
    let watchInterval: Duration

    public init(gateway: ModelGateway, watchInterval: Duration = .seconds(1)) {
        self.gateway = gateway
        self.watchInterval = watchInterval
    }

    func status(of service: String) async -> HealthCheckResponse.Status {
        guard Self.knownServices.contains(service) else { return .serviceUnknown }
        return await gateway.health(detailed: false).status == .unhealthy ? .notServing : .serving
    }

    public var methods: [GRPCMethod] {
        let service = self
        return [
            .unary("/\(Self.name)/Check") { (request: HealthCheckRequest, _) in
                let status = await service.status(of: request.service)
                guard status != .serviceUnknown else {
                    throw GRPCStatus(.notFound, "unknown service \(request.service)")
                }
                return HealthCheckResponse(status: status)
            },
            .serverStreaming("/\(Self.name)/Watch") {
                (request: HealthCheckRequest, _, stream: GRPCResponseStream<HealthCheckResponse>) in
                var last: HealthCheckResponse.Status?
                while !Task.isCancelled {
                    let status = await service.status(of: request.service)
                    if status != last {
                        try await stream.send(HealthCheckResponse(status: status))
                        last = status
                    }
                    try await Task.sleep(for: service.watchInterval)
                }
            },
        ]
    }
}

/// grpc.health.v1.HealthCheckRequest
struct HealthCheckRequest: GRPCRequestMessage {
    var service: String

    init(grpcPayload: [UInt8]) throws {
        service = try protobufUnpack(
            grpcPayload, unpack: { grpc__health__v1__health_check_request__unpack(nil, $0, $1) },
            free: { grpc__health__v1__health_check_request__free_unpacked($0, nil) }
        ) { ProtobufCRead.string($0.service) }
    }
}

/// grpc.health.v1.HealthCheckResponse
struct HealthCheckResponse: GRPCResponseMessage {
    enum Status {
        case serving, notServing, serviceUnknown

        var wire: Grpc__Health__V1__HealthCheckResponse__ServingStatus {
            switch self {
            case .serving: GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
            case .notServing: GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING
            case .serviceUnknown: GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN
            }
        }
    }

    var status: Status

    func grpcPayload() throws -> [UInt8] {
        let arena = ProtobufCArena()
        let c = arena.message(grpc__health__v1__health_check_response__init) {
            (c: inout Grpc__Health__V1__HealthCheckResponse) in
            c.status = status.wire
        }
        return protobufPack(
            c, size: grpc__health__v1__health_check_response__get_packed_size,
            pack: grpc__health__v1__health_check_response__pack)
    }
}
