import Gateway
import RPC

/// Writes a stream's batches to a `StreamGenerate` call, each chunk one message (see `ChunkSink`).
///
/// Used by one relay at a time, on the call's event loop or from the relay's task.
final class GenerateChunkSink: ChunkSink, @unchecked Sendable {
    private let stream: GRPCResponseStream<GenerateChunk>
    private var template: GenerateChunkTemplate?
    /// Reused from batch to batch.
    private var messages = GRPCMessageBatch()

    init(_ stream: GRPCResponseStream<GenerateChunk>) {
        self.stream = stream
    }

    var canWriteNow: Bool { stream.canSendNow }

    func writeNow(_ batch: ChunkBatch) throws -> Bool {
        try !stream.sendNow(framed(batch))
    }

    func waitForRoom() async throws {
        try await stream.waitForRoom()
    }

    func write(_ batch: ChunkBatch) async throws {
        try await stream.send(framed(batch))
    }

    private func framed(_ batch: ChunkBatch) throws -> GRPCMessageBatch {
        messages.removeAll()
        for piece in batch.pieces {
            try messages.append { try GenerateChunkTemplate.write(piece, of: batch, &template, into: &$0) }
        }
        return messages
    }
}
