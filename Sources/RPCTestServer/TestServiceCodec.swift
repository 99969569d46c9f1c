import CRPCTestProto
import RPC

// The protobuf-c codec for rpctest.v1 (proto/rpctest/v1/test_service.proto): every read and write of the
// generated C structs is in this file.
//
// Memory: decoding copies every field out of the unpacked C message and frees it before returning;
// encoding points the C struct at Swift-owned bytes only for the duration of `pack`.

/// Packs a protobuf-c message into a new array, with the message's own size and pack functions.
private func pack<Message>(
    _ message: inout Message, size: (UnsafePointer<Message>) -> Int,
    pack: (UnsafePointer<Message>, UnsafeMutablePointer<UInt8>) -> Int
) -> [UInt8] {
    let count = size(&message)
    return withUnsafePointer(to: &message) { source in
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = count == 0 ? 0 : pack(source, buffer.baseAddress!)
        }
    }
}

/// Unpacks `bytes`, reads the message with `read`, and frees it.
private func unpack<Message, Result>(
    _ bytes: [UInt8], unpack: (Int, UnsafePointer<UInt8>?) -> UnsafeMutablePointer<Message>?,
    free: (UnsafeMutablePointer<Message>) -> Void, read: (Message) -> Result
) throws -> Result {
    let decoded = bytes.withUnsafeBufferPointer { unpack($0.count, $0.baseAddress) }
    guard let decoded else { throw GRPCStatus(.invalidArgument, "the request message could not be decoded") }
    defer { free(decoded) }
    return read(decoded.pointee)
}

private func string(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    pointer.map { String(cString: $0) } ?? ""
}

private func bytes(_ data: ProtobufCBinaryData) -> [UInt8] {
    guard data.len > 0, let base = data.data else { return [] }
    return Array(UnsafeBufferPointer(start: base, count: data.len))
}

/// rpctest.v1.EchoRequest
struct EchoRequest: GRPCMessage {
    var message = ""
    var count: Int32 = 0
    var delayMs: Int32 = 0
    var failCode: Int32 = 0
    var payload: [UInt8] = []

    init(grpcPayload: [UInt8]) throws {
        self = try unpack(
            grpcPayload, unpack: { rpctest__v1__echo_request__unpack(nil, $0, $1) },
            free: { rpctest__v1__echo_request__free_unpacked($0, nil) }
        ) { c in
            EchoRequest(
                message: string(c.message), count: c.count, delayMs: c.delay_ms, failCode: c.fail_code,
                payload: bytes(c.payload))
        }
    }

    init(message: String, count: Int32, delayMs: Int32, failCode: Int32, payload: [UInt8]) {
        self.message = message
        self.count = count
        self.delayMs = delayMs
        self.failCode = failCode
        self.payload = payload
    }

    func grpcPayload() throws -> [UInt8] { [] }  // the server only decodes requests
}

/// rpctest.v1.EchoResponse
struct EchoResponse: GRPCMessage {
    var message: String
    var index: Int32
    var payload: [UInt8]

    init(message: String, index: Int32, payload: [UInt8]) {
        self.message = message
        self.index = index
        self.payload = payload
    }

    init(grpcPayload: [UInt8]) throws {
        self = try unpack(
            grpcPayload, unpack: { rpctest__v1__echo_response__unpack(nil, $0, $1) },
            free: { rpctest__v1__echo_response__free_unpacked($0, nil) }
        ) { c in EchoResponse(message: string(c.message), index: c.index, payload: bytes(c.payload)) }
    }

    func grpcPayload() throws -> [UInt8] {
        var c = Rpctest__V1__EchoResponse()
        rpctest__v1__echo_response__init(&c)
        c.index = index
        return message.withCString { text in
            payload.withUnsafeBufferPointer { data in
                c.message = UnsafeMutablePointer(mutating: text)
                c.payload = ProtobufCBinaryData(len: data.count, data: UnsafeMutablePointer(mutating: data.baseAddress))
                return pack(
                    &c, size: rpctest__v1__echo_response__get_packed_size, pack: rpctest__v1__echo_response__pack)
            }
        }
    }
}

/// rpctest.v1.StatsRequest
struct StatsRequest: GRPCMessage {
    init() {}
    init(grpcPayload: [UInt8]) throws {
        try unpack(
            grpcPayload, unpack: { rpctest__v1__stats_request__unpack(nil, $0, $1) },
            free: { rpctest__v1__stats_request__free_unpacked($0, nil) }, read: { _ in })
    }
    func grpcPayload() throws -> [UInt8] { [] }
}

/// rpctest.v1.StatsResponse
struct StatsResponse: GRPCMessage {
    var cancelled: Int64
    var active: Int64

    init(cancelled: Int64, active: Int64) {
        self.cancelled = cancelled
        self.active = active
    }

    init(grpcPayload: [UInt8]) throws {
        self = try unpack(
            grpcPayload, unpack: { rpctest__v1__stats_response__unpack(nil, $0, $1) },
            free: { rpctest__v1__stats_response__free_unpacked($0, nil) }
        ) { c in StatsResponse(cancelled: c.cancelled, active: c.active) }
    }

    func grpcPayload() throws -> [UInt8] {
        var c = Rpctest__V1__StatsResponse()
        rpctest__v1__stats_response__init(&c)
        c.cancelled = cancelled
        c.active = active
        return pack(&c, size: rpctest__v1__stats_response__get_packed_size, pack: rpctest__v1__stats_response__pack)
    }
}
