import Gateway
import RPC

/// The Anthropic-compatible API (contract §8): `POST /v1/messages`, and the handlers of `GET /v1/models` and
/// `/v1/models/{id}` for clients that send `anthropic-version`. Keys as `x-api-key` or bearer.
struct AnthropicFrontDoor: Sendable {
    let gateway: ModelGateway
    let endpoint: CompatibleEndpoint

    init(gateway: ModelGateway) {
        self.gateway = gateway
        endpoint = CompatibleEndpoint(gateway: gateway, api: .anthropic, errorBody: AnthropicErrors.body)
    }

    func register(on router: inout Router) {
        // Captured without a capture list: an async closure with one runs as @concurrent (Swift 6.3), a
        // hop to the global executor and back at every await (~200 instructions each, to find the loop again).
        let gateway = self.gateway
        let endpoint = self.endpoint
        router.add(
            "POST", "/v1/messages",
            endpoint.handler { request, context, writer in
                let messages = try AnthropicMessagesRequest(body: request.body)
                guard messages.stream else {
                    let answer = try await gateway.generate(messages.request, context: context)
                    await endpoint.json(writer, serialized: AnthropicMessagesResponse.message(answer), context)
                    return nil
                }
                let chunks = try await gateway.streamGenerate(messages.request, context: context)
                await AnthropicMessagesStream.relay(chunks, to: writer, context)
                return nil
            })
    }

    var models: Router.Handler {
        let gateway = self.gateway
        return endpoint.handler { _, _, _ in
            CompatibleModels.anthropicList(gateway.listModels(), created: WallClock.rfc3339())
        }
    }

    var model: Router.Handler {
        let gateway = self.gateway
        return endpoint.handler { request, _, _ in
            let id = CompatibleModels.id(in: request.path)
            _ = try gateway.model(named: id)
            return CompatibleModels.anthropic(id: id, created: WallClock.rfc3339())
        }
    }
}
