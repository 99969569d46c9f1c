/// The chunks of a stream that arrived together, in order. Most are a piece of text whose other fields are
/// the stream's id, model and provider; those are kept as the text alone (no `GenerateChunk` to build, copy
/// and destroy per token), and front doors write them from a per-stream template. `whole(_:)` makes any
/// piece a complete `GenerateChunk`.
public struct ChunkBatch: Sendable {
    /// One chunk of the batch.
    public enum Piece: Sendable {
        /// A chunk that is only text: every other field is the stream's or unset.
        case text(String)
        /// Any other chunk (tool calls, reasoning, the last one with the totals). Boxed: these are few, and
        /// inline the large chunk would make every text piece as large.
        indirect case chunk(GenerateChunk)
    }

    /// The stream's request id, model and provider: every text piece's.
    public let origin: ChunkOrigin
    public let pieces: [Piece]

    public var id: String { origin.id }
    public var model: String { origin.model }
    public var provider: String { origin.provider }

    public init(id: String, model: String, provider: String, pieces: [Piece]) {
        self.init(origin: ChunkOrigin(id: id, model: model, provider: provider), pieces: pieces)
    }

    /// A batch of a stream whose origin is made once: a batch then takes one reference, not three strings.
    public init(origin: ChunkOrigin, pieces: [Piece]) {
        self.origin = origin
        self.pieces = pieces
    }

    /// The piece as a whole chunk.
    public func whole(_ piece: Piece) -> GenerateChunk {
        switch piece {
        case .text(let content): GenerateChunk(id: id, model: model, provider: provider, content: content)
        case .chunk(let chunk): chunk
        }
    }

    /// Every piece as a whole chunk.
    public var chunks: [GenerateChunk] { pieces.map(whole) }
}

/// Where a stream's chunks come from: its request id, model and provider, shared by all its batches.
public final class ChunkOrigin: Sendable {
    public let id: String
    public let model: String
    public let provider: String

    public init(id: String, model: String, provider: String) {
        self.id = id
        self.model = model
        self.provider = provider
    }
}
