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
        var fast = Array("data: ".utf8)
        OpenAIChatStream.contentTemplate(id: "chatcmpl-1", model: "m/x:1", created: 42)?.write(text, into: &fast)
        fast += Array("\n\n".utf8)
        #expect(String(decoding: fast, as: UTF8.self) == String(decoding: tree, as: UTF8.self))
    }
}
