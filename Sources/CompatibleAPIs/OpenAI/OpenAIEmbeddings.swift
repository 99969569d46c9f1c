import Gateway
import RESTShim

/// OpenAI embeddings: `input` a string or a list of strings; vectors as float arrays, or with
/// `encoding_format: base64` as little-endian float32 bytes in base64 (what the SDK asks for by default).
enum OpenAIEmbeddings {
    static func request(_ body: [UInt8]) throws(GatewayError) -> (EmbedRequest, base64: Bool) {
        let json = try JSONRequestReader(body: body)
        let input: [String]
        switch json.raw("input") {
        case .string(let one)?: input = [one]
        case .array?:
            guard let texts = try? json.strings("input") else {
                throw .invalid("input", "must be a string or an array of strings (token arrays are not supported)")
            }
            input = texts
        default: throw .invalid("input", "is required: a string or an array of strings")
        }
        let format = try json.string("encoding_format") ?? "float"
        guard format == "float" || format == "base64" else {
            throw .invalid("encoding_format", "must be float or base64")
        }
        return (EmbedRequest(model: try json.string("model") ?? "", input: input), format == "base64")
    }

    static func response(_ answer: EmbedResponse, base64: Bool) -> JSON {
        [
            "object": "list", "model": .string(answer.model),
            "data": .array(
                answer.embeddings.enumerated().map { index, vector in
                    [
                        "object": "embedding", "index": .number(Double(index)),
                        "embedding": base64 ? .string(Self.base64(vector)) : .array(vector.map { .number(Double($0)) }),
                    ]
                }),
            "usage": [
                "prompt_tokens": .number(Double(answer.tokensInput)),
                "total_tokens": .number(Double(answer.tokensInput)),
            ],
        ]
    }

    static func base64(_ vector: [Float]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            let bits = value.bitPattern.littleEndian
            for shift in stride(from: 0, to: 32, by: 8) {
                bytes.append(UInt8(truncatingIfNeeded: bits >> UInt32(shift)))
            }
        }
        return Base64.encode(bytes)
    }
}
