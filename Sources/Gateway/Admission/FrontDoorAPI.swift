/// The APIs calls come in through: the native one (gRPC and `/api/v1`), and the OpenAI- and
/// Anthropic-compatible ones. Metrics, logs and spans name a call after its API and method.
public enum FrontDoorAPI: Sendable, Equatable {
    case native
    case openAI
    case anthropic

    /// The `method` label of a call of `method` through this API.
    func label(_ method: CallMethod) -> String {
        switch (self, method) {
        case (.native, _): method.rawValue
        case (.openAI, .generate): "openai_chat_completions"
        case (.openAI, .streamGenerate): "openai_chat_completions_stream"
        case (.openAI, .embed): "openai_embeddings"
        case (.anthropic, .generate): "anthropic_messages"
        case (.anthropic, .streamGenerate): "anthropic_messages_stream"
        case (.anthropic, .embed): "anthropic_embed"
        }
    }
}
