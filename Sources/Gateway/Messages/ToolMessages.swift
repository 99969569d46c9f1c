/// A function the model may call: its arguments' JSON Schema is an object schema.
public struct Tool: Sendable, Equatable {
    public var name: String
    public var description: String
    /// The JSON Schema of the arguments (a JSON object).
    public var parameters: JSON

    public init(name: String, description: String = "", parameters: JSON = ["type": "object"]) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

/// Whether and which tool the model must call.
public struct ToolChoice: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        case auto, none, required, tool
    }

    public var mode: Mode
    /// The tool to call when `mode` is `tool`.
    public var name: String

    public init(_ mode: Mode, name: String = "") {
        self.mode = mode
        self.name = name
    }
}

/// The shape of the answer's text: free text, any JSON object, or JSON following a schema.
public struct ResponseFormat: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case text
        case jsonObject = "json_object"
        case jsonSchema = "json_schema"
    }

    public var type: Kind
    /// For `json_schema`: the JSON Schema (a JSON object).
    public var schema: JSON?
    public var name: String
    public var strict: Bool

    public init(_ type: Kind, schema: JSON? = nil, name: String = "", strict: Bool = false) {
        self.type = type
        self.schema = schema
        self.name = name
        self.strict = strict
    }

    /// The schema's name as providers need one.
    public var schemaName: String { name.isEmpty ? "response" : name }
}

/// A call the model made: `arguments` is a JSON object as text.
public struct ToolCall: Sendable, Equatable {
    public var id: String
    public var name: String
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// A streamed piece of call `index`: the first carries `id` and `name`, later ones append to `arguments`.
public struct ToolCallDelta: Sendable, Equatable {
    public var index: Int
    public var id: String
    public var name: String
    public var arguments: String

    public init(index: Int, id: String = "", name: String = "", arguments: String = "") {
        self.index = index
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// An image: its bytes with their media type, or a URL (`data:` URLs are decoded on the way in).
public struct Image: Sendable, Equatable {
    public static let mediaTypes: Set<String> = ["image/png", "image/jpeg", "image/webp", "image/gif"]

    public var mediaType: String
    public var data: [UInt8]
    /// An `https:` URL, for providers that fetch images themselves.
    public var url: String

    public init(mediaType: String = "", data: [UInt8] = [], url: String = "") {
        self.mediaType = mediaType
        self.data = data
        self.url = url
    }
}

/// A piece of a message: text, an image, or an assistant turn's reasoning sent back.
public enum ContentPart: Sendable, Equatable {
    case text(String)
    case image(Image)
    case reasoning(ReasoningPart)
}
