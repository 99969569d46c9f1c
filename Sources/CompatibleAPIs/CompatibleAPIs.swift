import Gateway
import RPC

/// The OpenAI- and Anthropic-compatible front doors (contract §8) on the shared router: the official SDKs,
/// pointed at the gateway, work unmodified. `/v1/models` answers in Anthropic's shape when the client sends
/// `anthropic-version`, else in OpenAI's.
public struct CompatibleAPIs: Sendable {
    let openAI: OpenAIFrontDoor
    let anthropic: AnthropicFrontDoor

    public init(gateway: ModelGateway) {
        openAI = OpenAIFrontDoor(gateway: gateway)
        anthropic = AnthropicFrontDoor(gateway: gateway)
    }

    public func register(on router: inout Router) {
        openAI.register(on: &router)
        anthropic.register(on: &router)
        router.add("GET", "/v1/models", Self.byClient(openAI: openAI.models, anthropic: anthropic.models))
        router.add("GET", prefix: "/v1/models/", Self.byClient(openAI: openAI.model, anthropic: anthropic.model))
    }

    static func byClient(openAI: @escaping Router.Handler, anthropic: @escaping Router.Handler) -> Router.Handler {
        { request, writer, context in
            let handler = request.headers["anthropic-version"] == nil ? openAI : anthropic
            await handler(request, writer, context)
        }
    }
}
