import Gateway
import GatewayTestSupport
import Testing

@testable import ModelGatewayGRPC

/// Text chunks packed from the stream's template are the very bytes the codec writes.
@Suite struct GenerateChunkTemplateTests {
    @Test(arguments: [
        "", "a", String(repeating: "x", count: 127), String(repeating: "y", count: 128),
        String(repeating: "z", count: 20_000), "ünïcødé 😀 \" \\ \n",
    ])
    func textChunksMatchTheCodec(text: String) throws {
        var template: GenerateChunkTemplate?
        for model in ["m/x:1", "other", "other"] {
            let chunk = GenerateChunk(id: "gen-1", model: model, provider: "p", content: text)
            #expect(try GenerateChunkTemplate.payload(chunk, &template) == (try chunk.grpcPayload()))
        }
    }

    @Test func otherChunksGoThroughTheCodec() throws {
        var template: GenerateChunkTemplate?
        var last = GenerateChunk(id: "gen-1", model: "m", provider: "p", content: "")
        last.done = true
        last.finishReason = .stop
        last.tokensOutput = 3
        var call = GenerateChunk(id: "gen-1", model: "m", provider: "p", content: "")
        call.toolCalls = [ToolCallDelta(index: 0, id: "c1", name: "f")]
        for chunk in [last, call] {
            #expect(try GenerateChunkTemplate.payload(chunk, &template) == (try chunk.grpcPayload()))
        }
    }

    /// A batch's pieces pack to the codec's bytes for their whole chunks.
    @Test func piecesPackAsTheirWholeChunks() throws {
        let batch = SampleBatches.everyKind
        var template: GenerateChunkTemplate?
        for piece in batch.pieces {
            #expect(
                try GenerateChunkTemplate.payload(piece, of: batch, &template) == (try batch.whole(piece).grpcPayload())
            )
        }
    }
}
