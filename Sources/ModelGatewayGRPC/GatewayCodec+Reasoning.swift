import CGatewayProto
import Gateway
import RPC

// protobuf-c glue for reasoning, sampling extras and the token breakdown (contract §10).

enum ReasoningCodec {
    static func part(_ c: Modelgateway__V1__ReasoningPart) -> ReasoningPart {
        ReasoningPart(
            text: ProtobufCRead.string(c.text), signature: ProtobufCRead.string(c.signature),
            redactedData: ProtobufCRead.bytes(c.redacted_data))
    }

    static func config(_ c: UnsafeMutablePointer<Modelgateway__V1__ReasoningConfig>?) throws(GatewayError)
        -> ReasoningConfig?
    {
        guard let c = c?.pointee else { return nil }
        let effort = ProtobufCRead.string(c.effort)
        var config = ReasoningConfig(include: c.include != 0)
        if !effort.isEmpty {
            guard let parsed = ReasoningConfig.Effort(rawValue: effort) else {
                throw .invalid("reasoning.effort", "must be none, low, medium or high")
            }
            config.effort = parsed
        }
        if c._budget_tokens_case == MODELGATEWAY__V1__REASONING_CONFIG___BUDGET_TOKENS_BUDGET_TOKENS {
            config.budgetTokens = Int(c.budget_tokens)
        }
        return config
    }

    static func message(_ part: ReasoningPart, _ arena: ProtobufCArena) -> UnsafeMutablePointer<
        Modelgateway__V1__ReasoningPart
    > {
        arena.message(modelgateway__v1__reasoning_part__init) { (c: inout Modelgateway__V1__ReasoningPart) in
            c.text = arena.string(part.text)
            c.signature = arena.string(part.signature)
            c.redacted_data = arena.bytes(part.redactedData)
        }
    }
}
