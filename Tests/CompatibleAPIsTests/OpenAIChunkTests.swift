import GatewayTestSupport
import Testing

@testable import CompatibleAPIs
@testable import Gateway

/// The fast path of OpenAI content chunks writes the very bytes the JSON tree would.
@Suite struct OpenAIChunkTests {
    @Test(arguments: ["plain", "quote \" and \\ and\nnewline", "ünïcødé 😀", ""])
    func theFastPathMatchesTheTree(text: String) {
        var tree: [UInt8] = []
        CompatibleEndpoint.event(
            OpenAIChatResponse.chunk(id: "chatcmpl-1", model: "m/x:1", created: 42, delta: ["content": .string(text)]),
            into: &tree)
        var fast: [UInt8] = []
        OpenAIChatStream.contentTemplate(id: "chatcmpl-1", model: "m/x:1", created: 42)?.write(text, into: &fast)
        #expect(String(decoding: fast, as: UTF8.self) == String(decoding: tree, as: UTF8.self))
    }

    /// A batch's pieces written as pieces are the bytes of their whole chunks written one by one: the role
    /// chunk first, text from the template, the finish, the usage and [DONE].
    @Test func piecesWriteWhatTheirWholeChunksWould() {
        let batch = SampleBatches.everyKind
        var pieces = OpenAIChatStream.Events(created: 42, includeUsage: true)
        var wholes = OpenAIChatStream.Events(created: 42, includeUsage: true)
        var fromPieces: [UInt8] = []
        var fromWholes: [UInt8] = []
        for piece in batch.pieces { pieces.write(piece, of: batch, into: &fromPieces) }
        for chunk in batch.chunks { wholes.write(chunk, into: &fromWholes) }
        let text = String(decoding: fromPieces, as: UTF8.self)
        #expect(text == String(decoding: fromWholes, as: UTF8.self))
        #expect(text.contains("\"role\":\"assistant\"") && text.hasSuffix("data: [DONE]\n\n"))
    }
}
