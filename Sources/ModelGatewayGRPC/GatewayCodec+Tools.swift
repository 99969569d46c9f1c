import CGatewayProto
import Gateway
import RPC

// protobuf-c glue for tools, structured output, images and tool calls (contract §7). Schemas travel as JSON
// text in the proto: text that is not JSON is INVALID_ARGUMENT naming the field.

enum ToolCodec {
    static func schema(_ text: UnsafeMutablePointer<CChar>?, field: String) throws(GatewayError) -> JSON? {
        let text = ProtobufCRead.string(text)
        guard !text.isEmpty else { return nil }
        do {
            return try JSONParser.parse(Array(text.utf8))
        } catch {
            throw .invalid(field, "is not valid JSON (\(error))")
        }
    }

    static func tools(_ count: Int, _ pointer: UnsafeMutablePointer<UnsafeMutablePointer<Modelgateway__V1__Tool>?>?)
        throws(GatewayError) -> [Tool]
    {
        var tools: [Tool] = []
        for (index, c) in ProtobufCRead.messages(count, pointer, { $0 }).enumerated() {
            tools.append(
                Tool(
                    name: ProtobufCRead.string(c.name), description: ProtobufCRead.string(c.description),
                    parameters: try schema(c.parameters, field: "tools[\(index)].parameters") ?? ["type": "object"]))
        }
        return tools
    }

    static func toolChoice(_ c: UnsafeMutablePointer<Modelgateway__V1__ToolChoice>?) throws(GatewayError) -> ToolChoice?
    {
        guard let c = c?.pointee else { return nil }
        let mode = ProtobufCRead.string(c.mode)
        guard let parsed = ToolChoice.Mode(rawValue: mode.isEmpty ? "auto" : mode) else {
            throw .invalid("tool_choice.mode", "must be auto, none, required or tool")
        }
        return ToolChoice(parsed, name: ProtobufCRead.string(c.name))
    }

    static func responseFormat(_ c: UnsafeMutablePointer<Modelgateway__V1__ResponseFormat>?) throws(GatewayError)
        -> ResponseFormat?
    {
        guard let c = c?.pointee else { return nil }
        let type = ProtobufCRead.string(c.type)
        guard let kind = ResponseFormat.Kind(rawValue: type.isEmpty ? "text" : type) else {
            throw .invalid("response_format.type", "must be text, json_object or json_schema")
        }
        return ResponseFormat(
            kind, schema: try schema(c.schema, field: "response_format.schema"), name: ProtobufCRead.string(c.name),
            strict: c.strict != 0)
    }

    static func message(_ c: Modelgateway__V1__ChatMessage) -> ChatMessage {
        let parts = ProtobufCRead.messages(c.n_parts, c.parts) { (part: Modelgateway__V1__ContentPart) -> ContentPart in
            if part.part_case == MODELGATEWAY__V1__CONTENT_PART__PART_REASONING, let reasoning = part.reasoning?.pointee
            {
                return .reasoning(ReasoningCodec.part(reasoning))
            }
            guard part.part_case == MODELGATEWAY__V1__CONTENT_PART__PART_IMAGE, let image = part.image?.pointee else {
                return .text(
                    part.part_case == MODELGATEWAY__V1__CONTENT_PART__PART_TEXT ? ProtobufCRead.string(part.text) : "")
            }
            return .image(
                Image(
                    mediaType: ProtobufCRead.string(image.media_type), data: ProtobufCRead.bytes(image.data),
                    url: ProtobufCRead.string(image.url)))
        }
        let calls = ProtobufCRead.messages(c.n_tool_calls, c.tool_calls) {
            ToolCall(
                id: ProtobufCRead.string($0.id), name: ProtobufCRead.string($0.name),
                arguments: ProtobufCRead.string($0.arguments))
        }
        return ChatMessage(
            role: ProtobufCRead.string(c.role), content: ProtobufCRead.string(c.content), parts: parts,
            toolCalls: calls, toolCallID: ProtobufCRead.string(c.tool_call_id))
    }

    static func toolCalls(_ calls: [ToolCall], _ arena: ProtobufCArena) -> (
        Int, UnsafeMutablePointer<UnsafeMutablePointer<Modelgateway__V1__ToolCall>?>?
    ) {
        guard !calls.isEmpty else { return (0, nil) }  // see `metadataEntries`
        let messages = calls.map { call in
            Optional(
                arena.message(modelgateway__v1__tool_call__init) { (c: inout Modelgateway__V1__ToolCall) in
                    c.id = arena.string(call.id)
                    c.name = arena.string(call.name)
                    c.arguments = arena.string(call.arguments)
                })
        }
        return (messages.count, arena.array(messages))
    }

    static func toolCallDeltas(_ deltas: [ToolCallDelta], _ arena: ProtobufCArena) -> (
        Int, UnsafeMutablePointer<UnsafeMutablePointer<Modelgateway__V1__ToolCallDelta>?>?
    ) {
        guard !deltas.isEmpty else { return (0, nil) }  // see `metadataEntries`
        let messages = deltas.map { delta in
            Optional(
                arena.message(modelgateway__v1__tool_call_delta__init) { (c: inout Modelgateway__V1__ToolCallDelta) in
                    c.index = Int32(clamping: delta.index)
                    c.id = arena.string(delta.id)
                    c.name = arena.string(delta.name)
                    c.arguments = arena.string(delta.arguments)
                })
        }
        return (messages.count, arena.array(messages))
    }
}
