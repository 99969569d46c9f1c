import Gateway
import Glibc
import RPC

/// The OpenAI-compatible API (contract §8): `POST /v1/chat/completions`, `POST /v1/embeddings`, and the
/// handlers of `GET /v1/models` and `/v1/models/{id}` (which `CompatibleAPIs` shares with Anthropic's).
struct OpenAIFrontDoor: Sendable {
    let gateway: ModelGateway
    let endpoint: CompatibleEndpoint

    init(gateway: ModelGateway) {
        self.gateway = gateway
        endpoint = CompatibleEndpoint(gateway: gateway, api: .openAI, errorBody: OpenAIErrors.body)
    }

    static func now() -> Int { Int(time(nil)) }

    func register(on router: inout Router) {
        // Captured without a capture list: an async closure with one runs as @concurrent (Swift 6.3), a
        // hop to the global executor and back at every await (~200 instructions each, to find the loop again).
        let gateway = self.gateway
        let endpoint = self.endpoint
        router.add(
            "POST", "/v1/chat/completions",
            endpoint.handler { request, context, writer in
                let chat = try OpenAIChatRequest(body: request.body)
                let created = Self.now()
                guard chat.stream else {
                    let answer = try await gateway.generate(chat.request, context: context)
                    await endpoint.json(
                        writer, serialized: OpenAIChatResponse.completion(answer, created: created), context)
                    return nil
                }
                let chunks = try await gateway.streamGenerate(chat.request, context: context)
                await OpenAIChatStream.relay(
                    chunks, to: writer, context, includeUsage: chat.includeUsage, created: created)
                return nil
            })
        router.add(
            "POST", "/v1/embeddings",
            endpoint.handler { request, context, _ in
                let (embed, base64) = try OpenAIEmbeddings.request(request.body)
                return OpenAIEmbeddings.response(try await gateway.embed(embed, context: context), base64: base64)
            })
    }

    var models: Router.Handler {
        let gateway = self.gateway
        return endpoint.handler { _, _, _ in CompatibleModels.openAIList(gateway.listModels(), created: Self.now()) }
    }

    var model: Router.Handler {
        let gateway = self.gateway
        return endpoint.handler { request, _, _ in
            let id = CompatibleModels.id(in: request.path)
            return CompatibleModels.openAI(id: id, provider: try gateway.model(named: id).provider, created: Self.now())
        }
    }
}
