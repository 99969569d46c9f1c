import Gateway
import RPC

/// A front door's encoding of a stream's chunks as bytes of its response body (server-sent events, for the
/// REST and the compatible front doors).
public protocol ChunkEncoder {
    mutating func encode(_ batch: ChunkBatch, into out: inout [UInt8])
}

/// Writes a stream's batches to an HTTP response body, encoded by `Encoder` (see `ChunkSink`).
///
/// Used by one relay at a time, on the response's event loop or from the relay's task.
public final class ResponseBodySink<Encoder: ChunkEncoder>: ChunkSink, @unchecked Sendable {
    /// The front door's state across the stream (what it has written so far).
    public private(set) var encoder: Encoder
    private let writer: any ResponseWriter
    /// Reused from batch to batch.
    private var out: [UInt8] = []

    public init(_ encoder: Encoder, writer: any ResponseWriter) {
        self.encoder = encoder
        self.writer = writer
    }

    public var canWriteNow: Bool { writer.eventLoop?.inEventLoop == true }

    public func writeNow(_ batch: ChunkBatch) throws -> Bool {
        try !writer.queueBody(encodedBy: { encoder.encode(batch, into: &$0) })
    }

    public func waitForRoom() async throws {
        try await writer.waitForRoom()
    }

    public func write(_ batch: ChunkBatch) async throws {
        guard canWriteNow else { return try await writer.writeBody(encoded(batch)) }
        if try !writeNow(batch) { try await writer.waitForRoom() }
    }

    private func encoded(_ batch: ChunkBatch) -> [UInt8] {
        out.removeAll(keepingCapacity: true)
        encoder.encode(batch, into: &out)
        return out
    }
}
