/// A message that travels as a gRPC payload; service bindings implement it with their protobuf codec.
public protocol GRPCMessage: Sendable {
    /// Decodes a payload; throws `GRPCStatus` (INVALID_ARGUMENT or INTERNAL) when it cannot.
    init(grpcPayload: [UInt8]) throws
    func grpcPayload() throws -> [UInt8]
}
