import Gateway

/// Reads request bodies strictly: malformed JSON is a 400, a wrong type or a bad value a 422 that names the
/// field; unknown fields are ignored and `null` counts as absent.
///
/// A body's fields are read from its bytes as they are asked for (`JSONMemberIndex`), not from a tree of
/// the whole body; nested objects are trees of their own.
package struct JSONRequestReader {
    private enum Members {
        case body(JSONMemberIndex)
        case object(JSONObject)
    }

    private let members: Members

    package init(body: [UInt8]) throws(GatewayError) {
        if let index = JSONMemberIndex(body) {
            members = .body(index)
            return
        }
        // Not JSON, or not an object: the parser says which, and where.
        let value: JSON
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw GatewayError(.malformedRequest, "the body is not valid JSON: \(error)")
        }
        guard case .object(let object) = value else { throw GatewayError.invalid("body", "must be a JSON object") }
        members = .object(object)
    }

    private func value(_ field: String) -> JSON? {
        let found: JSON? =
            switch members {
            case .body(let index): index.value(field)
            case .object(let object): object[field]
            }
        guard let found, !found.isNull else { return nil }
        return found
    }

    package func string(_ field: String) throws(GatewayError) -> String? {
        guard let value = value(field) else { return nil }
        guard let text = value.stringValue else { throw .invalid(field, "must be a string, got \(value.typeName)") }
        return text
    }

    package func number(_ field: String) throws(GatewayError) -> Double? {
        guard let value = value(field) else { return nil }
        guard let number = value.doubleValue else { throw .invalid(field, "must be a number, got \(value.typeName)") }
        return number
    }

    package func integer(_ field: String) throws(GatewayError) -> Int? {
        guard let value = value(field) else { return nil }
        guard let number = value.intValue else { throw .invalid(field, "must be an integer, got \(value.typeName)") }
        return number
    }

    package func bool(_ field: String) throws(GatewayError) -> Bool? {
        guard let value = value(field) else { return nil }
        guard let flag = value.boolValue else { throw .invalid(field, "must be a boolean, got \(value.typeName)") }
        return flag
    }

    package func strings(_ field: String) throws(GatewayError) -> [String]? {
        guard let value = value(field) else { return nil }
        guard let items = value.arrayValue else {
            throw .invalid(field, "must be an array of strings, got \(value.typeName)")
        }
        var texts: [String] = []
        for (index, item) in items.enumerated() {
            guard let text = item.stringValue else {
                throw .invalid("\(field)[\(index)]", "must be a string, got \(item.typeName)")
            }
            texts.append(text)
        }
        return texts
    }

    package func stringMap(_ field: String) throws(GatewayError) -> [String: String]? {
        guard let value = value(field) else { return nil }
        guard let map = value.objectValue else {
            throw .invalid(field, "must be an object of strings, got \(value.typeName)")
        }
        var result: [String: String] = [:]
        for entry in map.entries {
            guard let text = entry.value.stringValue else {
                throw .invalid("\(field).\(entry.key)", "must be a string, got \(entry.value.typeName)")
            }
            result[entry.key] = text
        }
        return result
    }

    /// Where an item of an array field stands (`messages[2]`), for errors: written only when one is thrown,
    /// as writing it for every item cost an interpolated string each.
    package struct ItemPath: CustomStringConvertible {
        let field: String
        let index: Int
        package init(_ field: String, _ index: Int) {
            self.field = field
            self.index = index
        }
        package var description: String { "\(field)[\(index)]" }
    }

    package func objects(_ field: String) throws(GatewayError) -> [(path: ItemPath, reader: JSONRequestReader)]? {
        guard let value = value(field) else { return nil }
        guard let items = value.arrayValue else { throw .invalid(field, "must be an array, got \(value.typeName)") }
        // Labelled as returned: an unlabelled array would be cast element by element on return.
        var readers: [(path: ItemPath, reader: JSONRequestReader)] = []
        readers.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard let object = item.objectValue else {
                throw .invalid("\(ItemPath(field, index))", "must be an object, got \(item.typeName)")
            }
            readers.append((ItemPath(field, index), JSONRequestReader(object: object)))
        }
        return readers
    }

    /// A nested object's reader; nil when absent.
    package func object(_ field: String) throws(GatewayError) -> JSONRequestReader? {
        guard let value = value(field) else { return nil }
        guard let object = value.objectValue else { throw .invalid(field, "must be an object, got \(value.typeName)") }
        return JSONRequestReader(object: object)
    }

    /// A field's JSON value as sent; nil when absent or null.
    package func raw(_ field: String) -> JSON? { value(field) }

    /// Reads a nested part with `read`, naming its errors' fields under `path` (a field's name, or an
    /// `ItemPath`).
    package static func nested<T, Path: CustomStringConvertible>(
        _ path: Path, _ read: () throws(GatewayError) -> T
    ) throws(GatewayError) -> T {
        do {
            return try read()
        } catch {
            throw GatewayError(error.kind, "\(path).\(error.message)")
        }
    }

    package init(object: JSONObject) {
        members = .object(object)
    }
}

extension GenerateRequest {
    /// `POST /api/v1/generate`'s body; `stream` says whether the answer is SSE.
    static func fromJSON(_ body: [UInt8]) throws(GatewayError) -> (GenerateRequest, stream: Bool) {
        let json = try JSONRequestReader(body: body)
        var messages: [ChatMessage] = []
        for (path, item) in try json.objects("messages") ?? [] {
            messages.append(
                try JSONRequestReader.nested(path) { () throws(GatewayError) in try ToolJSON.message(item) })
        }
        // Read first, and the request built in the tuple: built before a read that can throw, the request
        // was copied into the tuple.
        let stream = try json.bool("stream") ?? false
        return (
            GenerateRequest(
                model: try json.string("model") ?? "", prompt: try json.string("prompt") ?? "",
                systemPrompt: try json.string("system_prompt") ?? "", temperature: try json.number("temperature"),
                maxTokens: try json.integer("max_tokens"), stopSequences: try json.strings("stop_sequences") ?? [],
                metadata: try json.stringMap("metadata") ?? [:], topP: try json.number("top_p"), messages: messages,
                tools: try ToolJSON.tools(json), toolChoice: try ToolJSON.toolChoice(json),
                responseFormat: try ToolJSON.responseFormat(json), reasoning: try ReasoningJSON.config(json),
                seed: try json.integer("seed").map(Int64.init), topK: try json.integer("top_k")),
            stream
        )
    }
}

extension EmbedRequest {
    static func fromJSON(_ body: [UInt8]) throws(GatewayError) -> EmbedRequest {
        let json = try JSONRequestReader(body: body)
        // A single string is accepted as a one-text input, as OpenAI's API does.
        if let single = try? json.string("input") {
            return EmbedRequest(model: try json.string("model") ?? "", input: [single])
        }
        return EmbedRequest(model: try json.string("model") ?? "", input: try json.strings("input") ?? [])
    }
}
