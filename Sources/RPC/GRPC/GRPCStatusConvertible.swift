/// A domain error that knows its gRPC status: the gRPC server answers a handler that throws one with that
/// status, so a service binding maps its domain's errors once, next to the domain.
public protocol GRPCStatusConvertible: Error {
    var grpcStatus: GRPCStatus { get }
}
