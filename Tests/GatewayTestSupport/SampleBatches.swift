import Gateway

/// Fixtures the front doors' tests share.
public enum SampleBatches {
    /// A batch with every kind of piece, in the order a stream could send them: text (plain, with escapes,
    /// multi-byte, empty), a tool call between texts, and the last chunk with its totals.
    public static let everyKind: ChunkBatch = {
        var call = GenerateChunk(id: "gen-1", model: "m/x:1", provider: "p", content: "")
        call.toolCalls = [ToolCallDelta(index: 0, id: "c1", name: "f", arguments: "{}")]
        let last = GenerateChunk(
            id: "gen-1", model: "m/x:1", provider: "p", content: "", done: true, finishReason: .stop, tokensOutput: 4)
        return ChunkBatch(
            id: "gen-1", model: "m/x:1", provider: "p",
            pieces: [
                .text("first"), .text("quote \" and \\ and\nnewline"), .chunk(call), .text("ünïcødé 😀"), .text(""),
                .chunk(last),
            ])
    }()
}
