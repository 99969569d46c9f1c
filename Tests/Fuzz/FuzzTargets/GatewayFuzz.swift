@testable import Gateway
@testable import RESTShim

/// Entry points of the provider layer the targets share.
enum GatewayFuzzSupport {
    static func validate(_ request: GenerateRequest) throws {
        try RequestValidation.validate(request)
    }
}

/// The JSON parser (strict and UTF-8-repairing), a serialize/parse round trip, and the REST readers of
/// request bodies on top of it.
enum JSONFuzz {
    static func run(_ bytes: [UInt8]) {
        if let value = try? JSONParser.parse(bytes) {
            let again = try? JSONParser.parse(JSONSerializer.serialize(value))
            fuzzCheck(again == value, "serialize/parse round trip")
        }
        _ = try? JSONParser.parseRepairingUTF8(bytes)
        if let (request, _) = try? GenerateRequest.fromJSON(bytes) { _ = try? RequestValidation.validate(request) }
        if let request = try? EmbedRequest.fromJSON(bytes) { _ = try? RequestValidation.validate(request) }
    }
}

/// Each provider's streamed answer — SSE for OpenAI-compatible servers and Anthropic, NDJSON for Ollama —
/// through its decoder and its translator into events, split anywhere, with the event-size cap in force.
enum StreamsFuzz {
    static func run(_ bytes: [UInt8]) {
        guard let seed = bytes.first else { return }
        switch seed % 3 {
        case 0: drive(OpenAIStreamTranslator(provider: "f", maxEventBytes: 4096), bytes, seed)
        case 1: drive(AnthropicStreamTranslator(provider: "f", maxEventBytes: 4096), bytes, seed)
        default: drive(OllamaStreamTranslator(provider: "f", maxEventBytes: 4096), bytes, seed)
        }
    }

    static func drive<T: StreamTranslator>(_ translator: T, _ bytes: [UInt8], _ seed: UInt8) {
        var translator = translator
        for piece in FuzzSplit.pieces(bytes.dropFirst(), seed: seed / 3) {
            guard let events = try? translator.feed(Array(piece)) else { return }
            for case .usage(let input, let output, let cached) in events {
                for count in [input, output, cached] {
                    fuzzCheck((count ?? 0) >= 0 && (count ?? 0) <= 2 * JSON.largestCount, "count out of range")
                }
            }
        }
        _ = try? translator.finish()
    }
}

/// The YAML configuration loader: any text is a valid configuration or a clear error.
enum ConfigFuzz {
    static func run(_ bytes: [UInt8]) {
        _ = try? ConfigLoader.parse(String(decoding: bytes, as: UTF8.self), file: "fuzz.yaml")
    }
}

/// The Redis reply reader, fed in pieces.
enum RESPFuzz {
    static func run(_ bytes: [UInt8]) {
        guard let seed = bytes.first else { return }
        var reader = RESPReader()
        for piece in FuzzSplit.pieces(bytes.dropFirst(), seed: seed) {
            reader.append(piece)
            do {
                while try reader.next() != nil {}
            } catch {
                return
            }
            fuzzCheck(reader.pendingBytes <= 2 * RESPReader.maxBulkBytes + 16, "reader holds too much")
        }
    }
}
