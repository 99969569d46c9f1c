import CRPCTestProto
import RPC

// The protobuf-c codec for rpctest.v1 (proto/rpctest/v1/test_service.proto): every read and write of its
// generated C structs is in this file, through RPC's shared protobuf-c helpers.

/// rpctest.v1.EchoRequest
struct EchoRequest: GRPCRequestMessage {
    var message = ""
    var count: Int32 = 0
    var delayMs: Int32 = 0
    var failCode: Int32 = 0
    var payload: [UInt8] = []

    init(grpcPayload: [UInt8]) throws {
        self = try protobufUnpack(
            grpcPayload, unpack: { rpctest__v1__echo_request__unpack(nil, $0, $1) },
            free: { rpctest__v1__echo_request__free_unpacked($0, nil) }
        ) { c in
            EchoRequest(
                message: ProtobufCRead.string(c.message), count: c.count, delayMs: c.delay_ms, failCode: c.fail_code,
                payload: ProtobufCRead.bytes(c.payload))
        }
    }

    private init(message: String, count: Int32, delayMs: Int32, failCode: Int32, payload: [UInt8]) {
        self.message = message
        self.count = count
        self.delayMs = delayMs
        self.failCode = failCode
        self.payload = payload
    }
}

/// rpctest.v1.EchoResponse
struct EchoResponse: GRPCResponseMessage {
    var message: String
    var index: Int32
    var payload: [UInt8]

    func grpcPayload() throws -> [UInt8] {
        let arena = ProtobufCArena()
        let c = arena.message(rpctest__v1__echo_response__init) { (c: inout Rpctest__V1__EchoResponse) in
            c.message = arena.string(message)
            c.index = index
            c.payload = arena.bytes(payload)
        }
        return protobufPack(
            c, size: rpctest__v1__echo_response__get_packed_size, pack: rpctest__v1__echo_response__pack)
    }
}

/// rpctest.v1.StatsRequest
struct StatsRequest: GRPCRequestMessage {
    init(grpcPayload: [UInt8]) throws {
        try protobufUnpack(
            grpcPayload, unpack: { rpctest__v1__stats_request__unpack(nil, $0, $1) },
            free: { rpctest__v1__stats_request__free_unpacked($0, nil) }, read: { _ in })
    }
}

/// rpctest.v1.StatsResponse
struct StatsResponse: GRPCResponseMessage {
    var cancelled: Int64
    var active: Int64

    func grpcPayload() throws -> [UInt8] {
        let arena = ProtobufCArena()
        let c = arena.message(rpctest__v1__stats_response__init) { (c: inout Rpctest__V1__StatsResponse) in
            c.cancelled = cancelled
            c.active = active
        }
        return protobufPack(
            c, size: rpctest__v1__stats_response__get_packed_size, pack: rpctest__v1__stats_response__pack)
    }
}
