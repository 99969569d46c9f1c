import CGatewayProto
import Gateway
import RPC

/// The rich gRPC error model (contract §10): a `google.rpc.Status` in the `grpc-status-details-bin` trailer
/// with `ErrorInfo` (domain `modelgateway.v1`, a reason, the model and provider), `RetryInfo` wherever
/// `retry-after` is sent, and `BadRequest` naming an invalid field — what standard clients decode
/// (`grpcio-status`'s `rpc_status.from_call`).
enum GRPCErrorDetails {
    static let domain = "modelgateway.v1"
    static let typePrefix = "type.googleapis.com/"

    /// The `ErrorInfo` reason of a kind.
    static func reason(_ kind: GatewayError.Kind) -> String {
        switch kind {
        case .malformedRequest, .invalidRequest: "INVALID_ARGUMENT"
        default: kind.rawValue.uppercased()
        }
    }

    /// The trailer's value: the packed `google.rpc.Status`, base64 as binary metadata is.
    static func trailer(_ error: GatewayError, code: GRPCStatus.Code) -> String {
        Base64.encode(status(error, code: code))
    }

    static func status(_ error: GatewayError, code: GRPCStatus.Code) -> [UInt8] {
        var details: [(type: String, value: [UInt8])] = [("google.rpc.ErrorInfo", errorInfo(error))]
        if let seconds = error.retryAfterSeconds { details.append(("google.rpc.RetryInfo", retryInfo(seconds))) }
        if let field = error.field { details.append(("google.rpc.BadRequest", badRequest(field, error.message))) }
        let arena = ProtobufCArena()
        let c = arena.message(google__rpc__status__init) { (c: inout Google__Rpc__Status) in
            c.code = Int32(code.rawValue)
            c.message = arena.string(error.message)
            let anys = details.map { detail in
                Optional(
                    arena.message(google__protobuf__any__init) { (any: inout Google__Protobuf__Any) in
                        any.type_url = arena.string(typePrefix + detail.type)
                        any.value = arena.bytes(detail.value)
                    })
            }
            (c.n_details, c.details) = (anys.count, arena.array(anys))
        }
        return protobufPack(c, size: google__rpc__status__get_packed_size, pack: google__rpc__status__pack)
    }

    static func errorInfo(_ error: GatewayError) -> [UInt8] {
        var metadata: [String: String] = [:]
        if let model = error.model { metadata["model"] = model }
        if let provider = error.provider { metadata["provider"] = provider }
        let arena = ProtobufCArena()
        let c = arena.message(google__rpc__error_info__init) { (c: inout Google__Rpc__ErrorInfo) in
            c.reason = arena.string(reason(error.kind))
            c.domain = arena.string(domain)
            (c.n_metadata, c.metadata) = metadataEntries(metadata, arena, google__rpc__error_info__metadata_entry__init)
        }
        return protobufPack(c, size: google__rpc__error_info__get_packed_size, pack: google__rpc__error_info__pack)
    }

    static func retryInfo(_ seconds: Int) -> [UInt8] {
        let arena = ProtobufCArena()
        let c = arena.message(google__rpc__retry_info__init) { (c: inout Google__Rpc__RetryInfo) in
            c.retry_delay = arena.message(google__protobuf__duration__init) { (d: inout Google__Protobuf__Duration) in
                d.seconds = Int64(seconds)
            }
        }
        return protobufPack(c, size: google__rpc__retry_info__get_packed_size, pack: google__rpc__retry_info__pack)
    }

    static func badRequest(_ field: String, _ message: String) -> [UInt8] {
        let arena = ProtobufCArena()
        let violation = arena.message(google__rpc__bad_request__field_violation__init) {
            (v: inout Google__Rpc__BadRequest__FieldViolation) in
            v.field = arena.string(field)
            v.description = arena.string(String(message.dropFirst(field.count + 2)))
        }
        let c = arena.message(google__rpc__bad_request__init) { (c: inout Google__Rpc__BadRequest) in
            (c.n_field_violations, c.field_violations) = (1, arena.array([Optional(violation)]))
        }
        return protobufPack(c, size: google__rpc__bad_request__get_packed_size, pack: google__rpc__bad_request__pack)
    }
}

extension Google__Rpc__ErrorInfo__MetadataEntry: MapEntry {}
