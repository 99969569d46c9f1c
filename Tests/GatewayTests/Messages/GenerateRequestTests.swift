import Testing

@testable import Gateway

@Suite struct GenerateRequestTests {
    @Test func theConversationPutsTheSystemPromptFirstAndThePromptAsAUserTurn() {
        let turns = [ChatMessage(role: "user", content: "hi"), ChatMessage(role: "assistant", content: "hello")]
        #expect(GenerateRequest(model: "m", messages: turns).conversation == turns)
        #expect(
            GenerateRequest(model: "m", systemPrompt: "be brief", messages: turns).conversation
                == [ChatMessage(role: "system", content: "be brief")] + turns)
        #expect(
            GenerateRequest(model: "m", prompt: "why?", systemPrompt: "be brief").conversation == [
                ChatMessage(role: "system", content: "be brief"), ChatMessage(role: "user", content: "why?"),
            ])
        #expect(
            GenerateRequest(model: "m", prompt: "why?").conversation == [ChatMessage(role: "user", content: "why?")])
    }
}
