import Gateway
import Reactor

/// A stream's text chunks as protobuf, packed once per stream and completed per chunk with the text: a text
/// chunk's other fields are the stream's id, model and provider, or unset, and the text (field 4) comes
/// after them in field order, so appending it gives the bytes the codec would write.
struct GenerateChunkTemplate {
    private let id: String
    private let model: String
    private let provider: String
    /// The chunk packed without its text.
    private let prefix: [UInt8]

    private init(id: String, model: String, provider: String) throws {
        self.id = id
        self.model = model
        self.provider = provider
        prefix = try GenerateChunk(id: id, model: model, provider: provider, content: "").grpcPayload()
    }

    /// Whether every field but id, model, provider and content is unset.
    private static func isText(_ chunk: GenerateChunk) -> Bool {
        !chunk.done && chunk.toolCalls.isEmpty && chunk.reasoning == nil && chunk.finishReason == nil
            && chunk.metadata.isEmpty && chunk.requestedModel == nil && chunk.tokensInput == 0
            && chunk.tokensOutput == 0 && chunk.latencyMs == 0 && chunk.costUSD == 0
    }

    /// `chunk` packed: from `template` when it is a text chunk (making the template for the stream's first),
    /// else by the codec.
    static func payload(_ chunk: GenerateChunk, _ template: inout GenerateChunkTemplate?) throws -> [UInt8] {
        var out: [UInt8] = []
        try write(chunk, &template, into: &out)
        return out
    }

    /// `payload(_:_:)` appended to `out`.
    static func write(_ chunk: GenerateChunk, _ template: inout GenerateChunkTemplate?, into out: inout [UInt8])
        throws
    {
        guard isText(chunk) else { return out.append(contentsOf: try chunk.grpcPayload()) }
        try text(chunk.content, id: chunk.id, model: chunk.model, provider: chunk.provider, &template, into: &out)
    }

    /// A piece of a batch packed: a text piece from `template`, any other by the codec.
    static func payload(
        _ piece: ChunkBatch.Piece, of batch: ChunkBatch, _ template: inout GenerateChunkTemplate?
    ) throws -> [UInt8] {
        var out: [UInt8] = []
        try write(piece, of: batch, &template, into: &out)
        return out
    }

    /// `payload(_:of:_:)` appended to `out` (a stream writes a batch's messages straight into their frames).
    static func write(
        _ piece: ChunkBatch.Piece, of batch: ChunkBatch, _ template: inout GenerateChunkTemplate?,
        into out: inout [UInt8]
    ) throws {
        switch piece {
        case .text(let content):
            try text(content, id: batch.id, model: batch.model, provider: batch.provider, &template, into: &out)
        case .chunk(let chunk): try write(chunk, &template, into: &out)
        }
    }

    private static func text(
        _ content: String, id: String, model: String, provider: String, _ template: inout GenerateChunkTemplate?,
        into out: inout [UInt8]
    ) throws {
        if template?.id != id || template?.model != model || template?.provider != provider {
            template = try GenerateChunkTemplate(id: id, model: model, provider: provider)
        }
        guard let template else {
            return out.append(
                contentsOf: try GenerateChunk(id: id, model: model, provider: provider, content: content).grpcPayload())
        }
        template.prefix.withUnsafeBytes { out.appendBytes($0) }
        let text = content.utf8
        guard !text.isEmpty else { return }  // proto3 leaves an empty string out
        out.append(4 << 3 | 2)  // field 4, length-delimited
        var length = UInt(text.count)
        while length >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: length) | 0x80)
            length >>= 7
        }
        out.append(UInt8(length))
        out.appendUTF8(content)
    }
}
