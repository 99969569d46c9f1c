import CGatewayProto
import RPC

/// gRPC server reflection, v1 and v1alpha (the same messages on the wire): lists the services and serves
/// the FileDescriptorProtos embedded by `make proto`, so tools can call the API without the .proto files.
public struct ReflectionService: Sendable {
    public static let names = ["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]

    public init() {}

    /// Decoded descriptors, by file name.
    static let files: [String: [UInt8]] = ProtoDescriptors.filesHex.mapValues(Self.bytes(hex:))

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var high: UInt8?
        for byte in hex.utf8 {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = byte - UInt8(ascii: "a") + 10
            default: continue  // line breaks and indentation of the generated literal
            }
            if let first = high {
                out.append(first << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return out
    }

    func answer(_ request: ReflectionRequest) -> ReflectionResponse.Answer {
        switch request.query {
        case .listServices:
            return .services(ProtoDescriptors.services)
        case .fileByName(let name):
            guard let file = Self.files[name] else { return .error(5, "file \(name) not found") }
            return .files([file])
        case .fileContainingSymbol(let symbol):
            let trimmed = symbol.hasPrefix(".") ? String(symbol.dropFirst()) : symbol
            guard let name = ProtoDescriptors.symbols[trimmed], let file = Self.files[name] else {
                return .error(5, "symbol \(symbol) not found")
            }
            return .files([file])
        case .extensionNumbers(let type):
            guard ProtoDescriptors.symbols[type] != nil else { return .error(5, "type \(type) not found") }
            return .extensionNumbers(type)
        case .fileContainingExtension, .none:
            return .error(5, "no extensions are defined")
        }
    }

    public var methods: [GRPCMethod] {
        let service = self
        return Self.names.map { name in
            .bidirectionalStreaming("/\(name)/ServerReflectionInfo") {
                (requests: GRPCRequestStream<ReflectionRequest>, _, responses: GRPCResponseStream<ReflectionResponse>)
                in
                while let request = try await requests.next() {
                    try await responses.send(ReflectionResponse(request: request, answer: service.answer(request)))
                }
            }
        }
    }
}

/// grpc.reflection.v1(alpha).ServerReflectionRequest
struct ReflectionRequest: GRPCRequestMessage {
    enum Query {
        case listServices
        case fileByName(String)
        case fileContainingSymbol(String)
        case fileContainingExtension
        case extensionNumbers(String)
        case none
    }

    var host: String
    var query: Query
    /// The request as received, echoed in `original_request`.
    var payload: [UInt8]

    init(grpcPayload: [UInt8]) throws {
        payload = grpcPayload
        (host, query) = try protobufUnpack(
            grpcPayload, unpack: { grpc__reflection__v1__server_reflection_request__unpack(nil, $0, $1) },
            free: { grpc__reflection__v1__server_reflection_request__free_unpacked($0, nil) }
        ) { c in
            let query: Query
            switch c.message_request_case {
            case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES: query = .listServices
            case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
                query = .fileByName(ProtobufCRead.string(c.file_by_filename))
            case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
                query = .fileContainingSymbol(ProtobufCRead.string(c.file_containing_symbol))
            case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
                query = .fileContainingExtension
            case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
                query = .extensionNumbers(ProtobufCRead.string(c.all_extension_numbers_of_type))
            default: query = .none
            }
            return (ProtobufCRead.string(c.host), query)
        }
    }
}

/// grpc.reflection.v1(alpha).ServerReflectionResponse
struct ReflectionResponse: GRPCResponseMessage {
    enum Answer {
        case services([String])
        case files([[UInt8]])
        case extensionNumbers(String)
        case error(Int32, String)
    }

    var request: ReflectionRequest
    var answer: Answer

    func grpcPayload() throws -> [UInt8] {
        let arena = ProtobufCArena()
        let original = request.payload.withUnsafeBufferPointer {
            grpc__reflection__v1__server_reflection_request__unpack(nil, $0.count, $0.baseAddress)
        }
        defer { grpc__reflection__v1__server_reflection_request__free_unpacked(original, nil) }
        let c = arena.message(grpc__reflection__v1__server_reflection_response__init) {
            (c: inout Grpc__Reflection__V1__ServerReflectionResponse) in
            c.valid_host = arena.string(request.host)
            c.original_request = original
            switch answer {
            case .services(let names):
                c.message_response_case =
                    GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE
                c.list_services_response = arena.message(grpc__reflection__v1__list_service_response__init) {
                    (list: inout Grpc__Reflection__V1__ListServiceResponse) in
                    let entries = names.map { name in
                        Optional(
                            arena.message(grpc__reflection__v1__service_response__init) {
                                (entry: inout Grpc__Reflection__V1__ServiceResponse) in entry.name = arena.string(name)
                            })
                    }
                    (list.n_service, list.service) = (entries.count, arena.array(entries))
                }
            case .files(let files):
                c.message_response_case =
                    GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE
                c.file_descriptor_response = arena.message(grpc__reflection__v1__file_descriptor_response__init) {
                    (response: inout Grpc__Reflection__V1__FileDescriptorResponse) in
                    (response.n_file_descriptor_proto, response.file_descriptor_proto) = (
                        files.count, arena.array(files.map(arena.bytes))
                    )
                }
            case .extensionNumbers(let type):
                c.message_response_case =
                    GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE
                c.all_extension_numbers_response = arena.message(grpc__reflection__v1__extension_number_response__init)
                {
                    (response: inout Grpc__Reflection__V1__ExtensionNumberResponse) in
                    response.base_type_name = arena.string(type)
                }
            case .error(let code, let message):
                c.message_response_case =
                    GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE
                c.error_response = arena.message(grpc__reflection__v1__error_response__init) {
                    (error: inout Grpc__Reflection__V1__ErrorResponse) in
                    error.error_code = code
                    error.error_message = arena.string(message)
                }
            }
        }
        return protobufPack(
            c, size: grpc__reflection__v1__server_reflection_response__get_packed_size,
            pack: grpc__reflection__v1__server_reflection_response__pack)
    }
}
