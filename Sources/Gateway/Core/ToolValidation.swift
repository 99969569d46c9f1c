/// Checks of tools, tool choice, response format and the tool turns of a conversation (contract §7): 422
/// naming the field, before any provider is called.
enum ToolValidation {
    static func validate(_ request: GenerateRequest) throws(GatewayError) {
        var names: Set<String> = []
        for (index, tool) in request.tools.enumerated() {
            let field = "tools[\(index)]"
            guard isToolName(tool.name) else {
                throw .invalid("\(field).name", "must be 1 to 64 letters, digits, '_' or '-'")
            }
            guard names.insert(tool.name).inserted else {
                throw .invalid("\(field).name", "\(tool.name) is listed twice")
            }
            try objectSchema(tool.parameters, field: "\(field).parameters")
        }
        if let choice = request.toolChoice {
            switch choice.mode {
            case .tool:
                guard names.contains(choice.name) else {
                    throw .invalid("tool_choice.name", "\"\(choice.name)\" names no listed tool")
                }
            case .required:
                guard !names.isEmpty else { throw .invalid("tool_choice", "required needs at least one tool") }
            case .auto, .none:
                break
            }
        }
        if let format = request.responseFormat, format.type == .jsonSchema {
            guard let schema = format.schema else { throw .invalid("response_format.schema", "is required") }
            try objectSchema(schema, field: "response_format.schema")
            if !format.name.isEmpty, !isToolName(format.name) {
                throw .invalid("response_format.name", "must be 1 to 64 letters, digits, '_' or '-'")
            }
        }
    }

    /// A conversation turn's tool fields: a `tool` turn answers a call; an assistant's calls carry JSON objects.
    /// `field` names the message in an error, and is made only for one (an interpolated index per message
    /// cost ~550 instructions).
    static func validate(_ message: ChatMessage, field makeField: @autoclosure () -> String) throws(GatewayError) {
        if message.role == "tool", message.toolCallID.isEmpty {
            throw .invalid("\(makeField()).tool_call_id", "is required for a tool message")
        }
        guard !message.toolCalls.isEmpty else { return }
        let field = makeField()
        guard message.role == "assistant" else {
            throw .invalid("\(field).tool_calls", "only assistant messages have them")
        }
        for (index, call) in message.toolCalls.enumerated() {
            guard !call.name.isEmpty else { throw .invalid("\(field).tool_calls[\(index)].name", "is required") }
            guard case .object = try? JSONParser.parse(Array(call.arguments.utf8)) else {
                throw .invalid("\(field).tool_calls[\(index)].arguments", "must be a JSON object")
            }
        }
    }

    /// A JSON Schema for an object: a JSON object whose `type`, when given, is `object`.
    static func objectSchema(_ schema: JSON, field: String) throws(GatewayError) {
        guard case .object(let object) = schema else { throw .invalid(field, "must be a JSON object schema") }
        if let type = object["type"], type.stringValue != "object" {
            throw .invalid(field, "must be a JSON object schema (type \"object\")")
        }
    }

    static func isToolName(_ name: String) -> Bool {
        let bytes = name.utf8
        return (1...64).contains(bytes.count)
            && bytes.allSatisfy { ASCII.isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }
}
