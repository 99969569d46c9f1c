@testable import CompatibleAPIs
@testable import Gateway
@testable import RESTShim

/// Entry points of the provider layer the targets share.
enum GatewayFuzzSupport {
    static func validate(_ request: GenerateRequest) throws {
        try RequestValidation.validate(request)
    }
}

/// The JSON parser (strict and UTF-8-repairing), a serialize/parse round trip, and the readers of request
/// bodies on top of it: REST, OpenAI Chat Completions and embeddings, Anthropic Messages.
enum JSONFuzz {
    static func run(_ bytes: [UInt8]) {
        let strict = try? JSONParser.parse(bytes)
        if let value = strict {
            let again = try? JSONParser.parse(JSONSerializer.serialize(value))
            fuzzCheck(again == value, "serialize/parse round trip")
        }
        index(bytes, strict)
        let tree = try? JSONParser.parseRepairingUTF8(bytes)
        scan(bytes, tree)
        if var (request, _) = try? GenerateRequest.fromJSON(bytes) {
            _ = try? RequestValidation.validate(&request, maxImageBytes: 4096)
        }
        if let request = try? EmbedRequest.fromJSON(bytes) { _ = try? RequestValidation.validate(request) }
        if var chat = try? OpenAIChatRequest(body: bytes) {
            _ = try? RequestValidation.validate(&chat.request, maxImageBytes: 4096)
        }
        _ = try? OpenAIEmbeddings.request(bytes)
        if var messages = try? AnthropicMessagesRequest(body: bytes) {
            _ = try? RequestValidation.validate(&messages.request, maxImageBytes: 4096)
        }
    }
}

extension JSONFuzz {
    /// The member index takes exactly the objects the strict parser takes, and finds each member's value as
    /// the tree holds it (the last of a repeated key).
    static func index(_ bytes: [UInt8], _ strict: JSON?) {
        let index = JSONMemberIndex(bytes)
        let object = strict?.objectValue
        fuzzCheck((index != nil) == (object != nil), "member index and parser disagree on validity")
        guard let index, let object else { return }
        for entry in object.entries {
            fuzzCheck(index.value(entry.key) == entry.value, "member index read another value")
        }
        fuzzCheck(index.value("\u{0}absent") == nil, "member index found an absent key")
    }

    /// The reader accepts exactly what the repairing parser accepts, and reads each value as the tree holds it.
    static func scan(_ bytes: [UInt8], _ tree: JSON?) {
        let all = try? JSONReader.read(bytes) { try JSONReaderSupport.readAll(&$0) }
        fuzzCheck((all != nil) == (tree != nil), "reader and parser disagree on validity")
        if let all, let tree { fuzzCheck(all == JSONReaderSupport.projected(tree), "reader read other values") }
        let skipped: Void? = try? JSONReader.read(bytes) { _ in () }
        fuzzCheck((skipped != nil) == (tree != nil), "skipping and parsing disagree on validity")
    }
}

/// Everything a `JSONReader` can read, as a tree, and what it should find (shared with the unit tests' idea).
enum JSONReaderSupport {
    static func readAll(_ reader: inout JSONReader) throws -> JSON {
        switch reader.kind {
        case .object:
            var object = JSONObject()
            try reader.members { reader, key in object[key.text] = try readAll(&reader) }
            return .object(object)
        case .array:
            var array: [JSON] = []
            try reader.elements { reader, _ in array.append(try readAll(&reader)) }
            return .array(array)
        case .string: return try reader.string().map(JSON.string) ?? .null
        case .number: return try reader.count().map { .number(Double($0)) } ?? .null
        case .literal, nil: return .null
        }
    }

    static func projected(_ json: JSON) -> JSON {
        switch json {
        case .object(let object):
            var out = JSONObject()
            for entry in object.entries { out[entry.key] = projected(entry.value) }
            return .object(out)
        case .array(let items): return .array(items.map(projected))
        case .number: return json.countValue.map { .number(Double($0)) } ?? .null
        case .string: return json
        case .bool, .null: return .null
        }
    }
}

/// Each provider's streamed answer — SSE for OpenAI-compatible servers and Anthropic, NDJSON for Ollama —
/// through its decoder and its translator into events, split anywhere, with the event-size cap in force.
enum StreamsFuzz {
    static func run(_ bytes: [UInt8]) {
        guard let seed = bytes.first else { return }
        switch seed % 4 {
        case 0:
            drive(OpenAIStreamTranslator(provider: "f", maxEventBytes: 4096), bytes, seed)
            compareShapes(bytes, seed) { OpenAIStreamTranslator(provider: "f", maxEventBytes: 4096, learnsShapes: $0) }
        case 1:
            drive(AnthropicStreamTranslator(provider: "f", maxEventBytes: 4096), bytes, seed)
            compareShapes(bytes, seed) {
                AnthropicStreamTranslator(provider: "f", maxEventBytes: 4096, learnsShapes: $0)
            }
        case 2:
            drive(OllamaStreamTranslator(provider: "f", maxEventBytes: 4096), bytes, seed)
            compareShapes(bytes, seed) { OllamaStreamTranslator(provider: "f", maxEventBytes: 4096, learnsShapes: $0) }
        default: drive(AnthropicStreamTranslator(provider: "f", maxEventBytes: 4096, jsonOutput: true), bytes, seed)
        }
    }

    /// Chunks read from a learnt shape give the events a full read gives, and fail where it fails.
    static func compareShapes<T: StreamTranslator>(
        _ bytes: [UInt8], _ seed: UInt8, _ make: (_ learnsShapes: Bool) -> T
    ) {
        var (shaped, full) = (make(true), make(false))
        for piece in FuzzSplit.pieces(bytes.dropFirst(), seed: seed / 3) {
            let expected = try? full.feed(Array(piece))
            fuzzCheck(expected == (try? shaped.feed(Array(piece))), "a chunk read from its shape reads otherwise")
            if expected == nil { return }
        }
        fuzzCheck((try? full.finish()) == (try? shaped.finish()), "the end reads otherwise")
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
            for case .toolCall(let piece) in events {
                fuzzCheck(piece.index >= 0 && piece.index <= JSON.largestCount, "tool call index out of range")
            }
        }
        _ = try? translator.finish()
    }
}

/// Base64 (a decode that succeeds must round-trip), `data:` URLs, and image checks by magic bytes.
enum MediaFuzz {
    static func run(_ bytes: [UInt8]) {
        if let decoded = Base64.decode(bytes) {
            fuzzCheck(Base64.decode(Base64.encode(decoded).utf8) == decoded, "base64 round trip")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        var image = Image(url: "data:" + text)
        if (try? ImageValidation.validate(&image, field: "f", maxBytes: 1024)) != nil, !image.data.isEmpty {
            fuzzCheck(image.data.count <= 1024 && Image.mediaTypes.contains(image.mediaType), "accepted a bad image")
        }
        var raw = Image(data: bytes)
        if (try? ImageValidation.validate(&raw, field: "f", maxBytes: 1 << 20)) != nil {
            fuzzCheck(ImageValidation.mediaType(of: bytes) == raw.mediaType, "media type not the sniffed one")
        }
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
