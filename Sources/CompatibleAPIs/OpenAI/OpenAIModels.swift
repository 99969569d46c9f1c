import Gateway
import RPC

/// `/v1/models` in OpenAI's list and model shapes (aliases listed as ids too), and in Anthropic's when the
/// client sends `anthropic-version`.
enum CompatibleModels {
    /// Every id a client may send: model names, then aliases, each with the provider that serves it.
    static func ids(_ list: ListModelsResponse) -> [(id: String, provider: String)] {
        var ids = list.models.map { ($0.name, $0.provider) }
        let byName = Dictionary(list.models.map { ($0.name, $0.provider) }, uniquingKeysWith: { first, _ in first })
        for (alias, model) in list.aliases.sorted(by: { $0.key < $1.key }) { ids.append((alias, byName[model] ?? "")) }
        return ids
    }

    /// The model id of a `/v1/models/{id}` path (percent-decoded; ids may hold `/` and `:`).
    static func id(in path: String) -> String {
        PercentEncoding.decode(String(path.dropFirst("/v1/models/".count)))
    }

    static func openAI(id: String, provider: String, created: Int) -> JSON {
        ["id": .string(id), "object": "model", "created": .number(Double(created)), "owned_by": .string(provider)]
    }

    static func anthropic(id: String, created: String) -> JSON {
        ["type": "model", "id": .string(id), "display_name": .string(id), "created_at": .string(created)]
    }

    static func openAIList(_ list: ListModelsResponse, created: Int) -> JSON {
        [
            "object": "list",
            "data": .array(ids(list).map { openAI(id: $0.id, provider: $0.provider, created: created) }),
        ]
    }

    static func anthropicList(_ list: ListModelsResponse, created: String) -> JSON {
        let all = ids(list).map(\.id)
        return [
            "data": .array(all.map { anthropic(id: $0, created: created) }), "has_more": false,
            "first_id": all.first.map(JSON.string) ?? .null, "last_id": all.last.map(JSON.string) ?? .null,
        ]
    }
}
