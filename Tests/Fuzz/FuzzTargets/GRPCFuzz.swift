import CGatewayProto
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
                answerRoundTrip(request)
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

extension ProtobufFuzz {
    /// An answer made of a decoded request's strings (any length, any bytes) is encoded through the codec's
    /// arena and reads back the same.
    static func answerRoundTrip(_ request: GenerateRequest) {
        var answer = GenerateResponse(
            id: request.systemPrompt, model: request.model, provider: request.prompt,
            content: request.messages.map(\.text).joined(), tokensInput: 1, tokensOutput: 2, latencyMs: 0.5,
            finishReason: .stop, metadata: request.metadata, costUSD: 0,
            toolCalls: request.messages.flatMap(\.toolCalls))
        answer.stop = StopDetails(sequence: request.stopSequences.first ?? "")
        guard let bytes = try? answer.grpcPayload() else { return fuzzCheck(false, "an answer did not encode") }
        let decoded = bytes.withUnsafeBufferPointer {
            modelgateway__v1__generate_response__unpack(nil, $0.count, $0.baseAddress)
        }
        guard let decoded else { return fuzzCheck(false, "an encoded answer did not decode") }
        defer { modelgateway__v1__generate_response__free_unpacked(decoded, nil) }
        let message = decoded.pointee
        fuzzCheck(ProtobufCRead.string(message.model) == answer.model, "model round trip")
        fuzzCheck(ProtobufCRead.string(message.content) == answer.content, "content round trip")
        fuzzCheck(ProtobufCRead.string(message.id) == answer.id, "id round trip")
        fuzzCheck(message.n_metadata == answer.metadata.count, "metadata round trip")
        fuzzCheck(message.n_tool_calls == answer.toolCalls.count, "tool calls round trip")
    }
}
