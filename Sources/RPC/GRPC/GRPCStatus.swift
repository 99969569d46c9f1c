/// A gRPC status: the code and message sent in `grpc-status` / `grpc-message`, plus any trailers to add.
public struct GRPCStatus: Error, Sendable, Equatable, CustomStringConvertible {
    /// Every status code of gRPC's `doc/statuscodes.md`.
    public enum Code: Int, Sendable, CaseIterable {
        case ok = 0
        case cancelled = 1
        case unknown = 2
        case invalidArgument = 3
        case deadlineExceeded = 4
        case notFound = 5
        case alreadyExists = 6
        case permissionDenied = 7
        case resourceExhausted = 8
        case failedPrecondition = 9
        case aborted = 10
        case outOfRange = 11
        case unimplemented = 12
        case internalError = 13
        case unavailable = 14
        case dataLoss = 15
        case unauthenticated = 16
    }

    public var code: Code
    public var message: String
    /// Extra trailers sent with the status (for example `retry-after`).
    public var trailers: HTTPFields

    public init(_ code: Code, _ message: String = "", trailers: HTTPFields = HTTPFields()) {
        self.code = code
        self.message = message
        self.trailers = trailers
    }

    public var description: String { "\(code) (\(code.rawValue)): \(message)" }

    public static func == (lhs: GRPCStatus, rhs: GRPCStatus) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }

    /// The trailer fields that carry this status.
    func trailerFields() -> HTTPFields {
        var fields: HTTPFields = ["grpc-status": String(code.rawValue)]
        if !message.isEmpty { fields.append("grpc-message", PercentEncoding.encodeGRPCMessage(message)) }
        for field in trailers { fields.append(field.name, field.value) }
        return fields
    }
}
