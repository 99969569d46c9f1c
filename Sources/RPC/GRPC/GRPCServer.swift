import Reactor

/// Serves gRPC over HTTP/2 per gRPC's PROTOCOL-HTTP2: method lookup, `grpc-encoding` (identity, gzip),
/// message size limits, `grpc-timeout` deadlines, and statuses in trailers (or trailers-only).
public struct GRPCServer: Sendable {
    public static let acceptedEncodings = "identity,gzip"

    /// In a list (see `index(ofPath:)`): a call looks its method up twice.
    private var methods: [GRPCMethod] = []
    /// `methods`' paths, in the same order: scanned on their own, as stepping through the methods would copy
    /// (and retain) each one passed.
    private var paths: [String] = []
    /// Largest request message accepted, after decompression.
    public var maxReceiveMessageBytes = 4 * 1024 * 1024
    /// Request metadata copied into the response headers (`x-request-id` by default).
    public var echoedMetadata: [String] = ["x-request-id"]
    /// Runs just before the response headers go out (with the first message, or with the status when the
    /// call ends without one), whatever the outcome: the last moment to add response metadata.
    public var beforeResponseHead: (@Sendable (GRPCContext) -> Void)?

    public init() {}

    /// Adds `method`, in place of one registered at its path before.
    public mutating func register(_ method: GRPCMethod) {
        if let index = paths.firstIndex(of: method.path) {
            methods[index] = method
        } else {
            methods.append(method)
            paths.append(method.path)
        }
    }

    private func method(at path: String) -> GRPCMethod? {
        paths.index(ofPath: path).map { methods[$0] }
    }

    /// Whether the method at `path` reads its requests as a stream.
    public func streamsRequests(_ path: String) -> Bool {
        method(at: path)?.runStreaming != nil
    }

    /// True for requests that are gRPC by their content type.
    public static func isGRPC(_ request: ServerRequest) -> Bool {
        request.headers["content-type"]?.hasPrefix("application/grpc") ?? false
    }

    public func handle(_ request: ServerRequest, writer: any ResponseWriter, context: RequestContext) async {
        var responseMetadata = HTTPFields()
        for name in echoedMetadata {
            if let value = request.headers[name] { responseMetadata.append(name, value, indexed: false) }
        }
        let deadline = request.headers["grpc-timeout"].flatMap { GRPCTimeout.deadline($0, from: .now()) }
        let grpcContext = GRPCContext(
            requestMetadata: request.headers, deadline: deadline, responseMetadata: responseMetadata,
            method: request.path)
        let encoding = request.headers["grpc-encoding"] ?? "identity"
        let gzip = encoding == "gzip"
        let call = GRPCCall(
            writer: writer, context: grpcContext, beforeHead: beforeResponseHead, compressResponses: gzip,
            encodingHeaders: gzip
                ? ["grpc-encoding": "gzip", "grpc-accept-encoding": Self.acceptedEncodings]
                : ["grpc-accept-encoding": Self.acceptedEncodings])

        do {
            let method = try validate(request, encoding: encoding)
            var timer: ScheduledTimer?
            if let deadline {
                timer = context.schedule(at: deadline) {
                    // The answer goes out now, whether or not the handler notices its cancellation (which
                    // also cancels any upstream call it is waiting on).
                    call.expire()
                    Task(executorPreference: context.eventLoop) { await call.finish(GRPCStatus(.deadlineExceeded)) }
                    context.cancel()
                }
            }
            defer { timer?.cancel() }
            if let bodyStream = request.bodyStream, let runStreaming = method.runStreaming {
                let messages = GRPCRequestMessages(
                    body: bodyStream, maxMessageBytes: maxReceiveMessageBytes, gzip: gzip)
                try await runStreaming(messages, grpcContext, call)
            } else if let run = method.run {
                try await run(try singleMessage(request, gzip: gzip), grpcContext, call)
            } else {
                throw GRPCStatus(.internalError, "a streaming method's request arrived without a stream")
            }
            await call.finish(GRPCStatus(.ok))
        } catch let status as GRPCStatus {
            await call.finish(status)
        } catch let error as any GRPCStatusConvertible {
            await call.finish(error.grpcStatus)
        } catch is CancellationError {
            await call.finish(GRPCStatus(.cancelled, "the call was cancelled"))
        } catch let error as ResponseWriteError {
            await call.finish(GRPCStatus(.cancelled, error.reason))
        } catch {
            await call.finish(GRPCStatus(.unknown, "\(error)"))
        }
    }

    /// Finds the method and checks what the call asks of the transport.
    private func validate(_ request: ServerRequest, encoding: String) throws -> GRPCMethod {
        guard let method = method(at: request.path) else {
            throw GRPCStatus(.unimplemented, "unknown method \(request.path)")
        }
        guard encoding == "identity" || encoding == "gzip" else {
            throw GRPCStatus(
                .unimplemented, "unsupported grpc-encoding \(encoding)",
                trailers: ["grpc-accept-encoding": Self.acceptedEncodings])
        }
        if request.bodyTooLarge {
            throw GRPCStatus(.resourceExhausted, "request larger than \(maxReceiveMessageBytes) bytes")
        }
        return method
    }

    /// The one request message of a unary or server-streaming call.
    private func singleMessage(_ request: ServerRequest, gzip: Bool) throws -> [UInt8] {
        var deframer = GRPCMessageDeframer(maxMessageBytes: maxReceiveMessageBytes)
        deframer.append(request.body)
        let frame = try Self.nextFrame(&deframer)
        guard let frame, deframer.pendingBytes == 0, (try? deframer.next()) == nil else {
            throw GRPCStatus(
                .internalError,
                frame == nil
                    ? "expected one request message, got an incomplete or empty body"
                    : "expected exactly one request message")
        }
        return try Self.payload(of: frame, gzip: gzip, limit: maxReceiveMessageBytes)
    }

    static func nextFrame(_ deframer: inout GRPCMessageDeframer) throws -> GRPCFrame? {
        do {
            return try deframer.next()
        } catch .messageTooLarge(let length, let limit) {
            throw GRPCStatus(.resourceExhausted, "message of \(length) bytes exceeds the limit of \(limit)")
        } catch {
            throw GRPCStatus(.internalError, "malformed gRPC message frame")
        }
    }

    /// The frame's payload, inflated when it is compressed.
    static func payload(of frame: GRPCFrame, gzip: Bool, limit: Int) throws -> [UInt8] {
        guard frame.compressed else { return frame.payload }
        guard gzip else { throw GRPCStatus(.internalError, "compressed message without grpc-encoding") }
        do {
            return try GzipCodec.decompress(frame.payload, limit: limit)
        } catch .tooLarge {
            throw GRPCStatus(.resourceExhausted, "decompressed message exceeds \(limit) bytes")
        } catch {
            throw GRPCStatus(.internalError, "corrupt gzip message")
        }
    }
}
