/// A message the server decodes from a gRPC request; service bindings implement it with their protobuf codec.
public protocol GRPCRequestMessage: Sendable {
    /// Decodes a payload; throws `GRPCStatus` (INVALID_ARGUMENT) when it cannot.
    init(grpcPayload: [UInt8]) throws
}

/// A message the server encodes into a gRPC response.
public protocol GRPCResponseMessage: Sendable {
    func grpcPayload() throws -> [UInt8]
}
