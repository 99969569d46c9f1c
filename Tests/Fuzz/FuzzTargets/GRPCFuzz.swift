import Gateway

@testable import ModelGatewayGRPC
@testable import RPC

/// gRPC's length-prefixed framing fed in pieces, gzip-compressed messages inflated within a limit, and the
/// header values a client sets (`grpc-timeout`, percent-encoded messages).
enum GRPCFramingFuzz {
    static func run(_ bytes: [UInt8]) {
        guard let seed = bytes.first else { return }
        let limit = 64 * 1024
        var deframer = GRPCMessageDeframer(maxMessageBytes: limit)
        pieces: for piece in FuzzSplit.pieces(bytes.dropFirst(), seed: seed) {
            deframer.append(piece)
            while true {
                let next: GRPCFrame?
                do { next = try GRPCServer.nextFrame(&deframer) } catch { break pieces }
                guard let frame = next else { break }
                fuzzCheck(frame.payload.count <= limit, "message over the limit")
                if let payload = try? GRPCServer.payload(of: frame, gzip: true, limit: limit) {
                    fuzzCheck(payload.count <= limit, "inflated over the limit")
                }
            }
        }
        let text = String(decoding: bytes.prefix(16), as: UTF8.self)
        if let deadline = GRPCTimeout.deadline(text, from: .now()) {
            fuzzCheck(deadline.nanoseconds >= 0, "deadline")
        }
        let decoded = PercentEncoding.decode(String(decoding: bytes, as: UTF8.self))
        fuzzCheck(PercentEncoding.decode(PercentEncoding.encodeGRPCMessage(decoded)) == decoded, "percent round trip")
    }
}

/// Every request message the gateway decodes from a client, chosen by the first byte; a decoded
/// GenerateRequest must validate or be refused, never trap.
enum ProtobufFuzz {
    static func run(_ bytes: [UInt8]) {
        guard let selector = bytes.first else { return }
        let payload = Array(bytes.dropFirst())
        switch selector % 8 {
        case 0:
            if let request = try? GenerateRequest(grpcPayload: payload) {
                _ = try? GatewayFuzzSupport.validate(request)
            }
        case 1: _ = try? ListModelsRequest(grpcPayload: payload)
        case 2: _ = try? GetModelRequest(grpcPayload: payload)
        case 3: _ = try? HealthRequest(grpcPayload: payload)
        case 4: _ = try? EmbedRequest(grpcPayload: payload)
        case 5: _ = try? UsageRequest(grpcPayload: payload)
        case 6: _ = try? HealthCheckRequest(grpcPayload: payload)
        default: _ = try? ReflectionRequest(grpcPayload: payload)
        }
    }
}
