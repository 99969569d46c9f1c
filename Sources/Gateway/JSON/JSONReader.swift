import Glibc

/// Reads the fields a caller needs from one JSON document in one pass, without building a `JSON` tree: a
/// streamed chunk's delta costs a walk over its bytes instead of a tree of strings and objects (that tree was
/// half of a chunk's relay cost). Every byte is checked as strictly as `JSONParser.parseRepairingUTF8` checks
/// it — the values a caller reads as they are read, the others as they are skipped — so a document the parser
/// rejects is rejected here too.
///
/// Each reading method consumes exactly one value; a value a caller leaves unread is skipped (and checked).
struct JSONReader {
    private var parser: JSONParser

    /// Hands `body` a reader at the document's value; throws `JSONParseError` for a document that is not JSON.
    static func read<T>(_ bytes: [UInt8], _ body: (inout JSONReader) throws -> T) throws -> T {
        try bytes.withUnsafeBufferPointer { try read($0, body) }
    }

    static func read<T>(_ buffer: UnsafeBufferPointer<UInt8>, _ body: (inout JSONReader) throws -> T) throws -> T {
        var reader = JSONReader(parser: JSONParser(bytes: buffer))
        reader.parser.skipWhitespace()
        let result = try reader.consuming(body)
        reader.parser.skipWhitespace()
        guard reader.parser.index == buffer.count else {
            throw reader.parser.error("unexpected data after the JSON value")
        }
        return result
    }

    /// Runs `body` on the value here, and skips the value if `body` read nothing.
    private mutating func consuming<T>(_ body: (inout JSONReader) throws -> T) throws -> T {
        let start = parser.index
        let result = try body(&self)
        if parser.index == start { try parser.skipValue() }
        return result
    }

    private var next: UInt8? { parser.index < parser.bytes.count ? parser.bytes[parser.index] : nil }

    /// What the value here is, judged by its first byte (nothing is consumed; nil at the end of the input).
    enum Kind { case object, array, string, number, literal }

    var kind: Kind? {
        guard let byte = next else { return nil }
        switch byte {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: return .literal
        }
    }

    /// Where the reader is in the document, in bytes: before a value, where it starts; after, where it ended.
    var offset: Int { parser.index }

    /// Whether the value here is `null` (nothing is consumed).
    var isNull: Bool { next == UInt8(ascii: "n") }

    /// Each member of the object here, in document order; other values are skipped. A key that appears twice is
    /// seen twice: callers that assign keep the last, as `JSONParser` does.
    mutating func members(_ body: (inout JSONReader, JSONKey) throws -> Void) throws {
        guard next == UInt8(ascii: "{") else { return try parser.skipValue() }
        var closed = try open(closing: UInt8(ascii: "}"))
        while !closed {
            parser.skipWhitespace()
            guard next == UInt8(ascii: "\"") else { throw parser.error("expected a key string") }
            let keyStart = parser.index
            let escaped = try parser.skipString()
            let key = JSONKey(
                bytes: UnsafeBufferPointer(rebasing: parser.bytes[keyStart..<parser.index]), escaped: escaped)
            parser.skipWhitespace()
            guard next == UInt8(ascii: ":") else { throw parser.error("expected ':'") }
            parser.index += 1
            parser.skipWhitespace()
            try consuming { try body(&$0, key) }
            closed = try endOfItem(closing: UInt8(ascii: "}"))
        }
    }

    /// Each element of the array here with its position; other values are skipped.
    mutating func elements(_ body: (inout JSONReader, Int) throws -> Void) throws {
        guard next == UInt8(ascii: "[") else { return try parser.skipValue() }
        var closed = try open(closing: UInt8(ascii: "]"))
        var position = 0
        while !closed {
            parser.skipWhitespace()
            try consuming { try body(&$0, position) }
            position += 1
            closed = try endOfItem(closing: UInt8(ascii: "]"))
        }
    }

    /// Past a container's opening bracket, one level deeper; true when it is empty (and so already closed).
    private mutating func open(closing: UInt8) throws -> Bool {
        try parser.enter()
        parser.index += 1
        parser.skipWhitespace()
        guard next == closing else { return false }
        parser.index += 1
        parser.depth -= 1
        return true
    }

    /// Past the `,` after an item (false) or the container's closing bracket (true, one level up again).
    private mutating func endOfItem(closing: UInt8) throws -> Bool {
        parser.skipWhitespace()
        guard let byte = next else { throw parser.error("unexpected end of input") }
        parser.index += 1
        if byte == UInt8(ascii: ",") { return false }
        if byte == closing {
            parser.depth -= 1
            return true
        }
        parser.index -= 1
        throw parser.error(closing == UInt8(ascii: "}") ? "expected ',' or '}'" : "expected ',' or ']'")
    }

    /// The string here (invalid UTF-8 read as U+FFFD); nil, with the value skipped, for other values.
    mutating func string() throws -> String? {
        guard next == UInt8(ascii: "\"") else {
            try parser.skipValue()
            return nil
        }
        let start = parser.index
        guard try parser.skipString() else {
            return String(
                decoding: UnsafeBufferPointer(rebasing: parser.bytes[start + 1..<parser.index - 1]), as: UTF8.self)
        }
        return try JSONParser.parseRepairingUTF8(Array(parser.bytes[start..<parser.index])).stringValue
    }

    /// Where the string here stands, quotes included, past it; nil, with the value skipped, for other values.
    mutating func stringRange() throws -> Range<Int>? {
        guard next == UInt8(ascii: "\"") else {
            try parser.skipValue()
            return nil
        }
        let start = parser.index
        try parser.skipString()
        return start..<parser.index
    }

    /// The boolean here; nil, with the value skipped, for other values.
    mutating func bool() throws -> Bool? {
        switch next {
        case UInt8(ascii: "t"):
            try parser.expectLiteral("true")
            return true
        case UInt8(ascii: "f"):
            try parser.expectLiteral("false")
            return false
        default:
            try parser.skipValue()
            return nil
        }
    }

    /// The count here as `JSON.countValue` reads it; nil, with the value skipped, when it is not a number.
    mutating func count() throws -> Int? {
        guard kind == .number else {
            try parser.skipValue()
            return nil
        }
        return JSON.number(try parser.parseNumber()).countValue
    }

    /// Past the value here, checked as it is skipped.
    mutating func skip() throws {
        try parser.skipValue()
    }

    /// The value here as a tree, for the rare parts a caller reads whole (tool calls).
    mutating func json() throws -> JSON {
        let start = parser.index
        try parser.skipValue()
        return try JSONParser.parseRepairingUTF8(Array(parser.bytes[start..<parser.index]))
    }
}

/// An object member's key as it stands in the document, compared without making a `String`.
struct JSONKey {
    /// The key with its quotes.
    fileprivate let bytes: UnsafeBufferPointer<UInt8>
    /// Whether the key holds an escape: then it is compared by what it says (rare, and slower).
    fileprivate let escaped: Bool

    /// The key's text (for callers that keep keys; comparing with `==` makes no string).
    var text: String {
        guard escaped else {
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[1..<bytes.count - 1]), as: UTF8.self)
        }
        return (try? JSONParser.parseRepairingUTF8(Array(bytes)))?.stringValue ?? ""
    }

    @inline(__always)
    static func == (key: JSONKey, name: StaticString) -> Bool {
        guard !key.escaped else { return key.text == name.description }
        let count = name.utf8CodeUnitCount
        return key.bytes.count == count + 2 && memcmp(key.bytes.baseAddress! + 1, name.utf8Start, count) == 0
    }
}

extension JSONParser {
    /// `parseValue`'s grammar without the value. Strings are not checked for UTF-8: invalid bytes in them
    /// read as U+FFFD later, as `parseRepairingUTF8` reads them.
    mutating func skipValue() throws(JSONParseError) {
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let isObject = bytes[index] == UInt8(ascii: "{")
            let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
            try enter()
            defer { depth -= 1 }
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == close {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                if isObject {
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                        throw error("expected a key string")
                    }
                    try skipString()
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
                    index += 1
                    skipWhitespace()
                }
                try skipValue()
                skipWhitespace()
                guard index < bytes.count else { throw error("unexpected end of input") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                } else if bytes[index] == close {
                    index += 1
                    return
                } else {
                    throw error(isObject ? "expected ',' or '}'" : "expected ',' or ']'")
                }
            }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try skipNumber()
        default: throw error("unexpected character")
        }
    }

    /// Past the string here; returns whether it held an escape. Inlined for the common string, plain to its
    /// closing quote (keys, ids, most deltas); the rest takes the escape-reading path.
    @discardableResult @inline(__always)
    mutating func skipString() throws(JSONParseError) -> Bool {
        let end = endOfPlainRun(from: index + 1)
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            index = end + 1
            return false
        }
        index = end
        return try skipStringAfterSpecial()
    }

    /// `skipString` from the first byte that is not plain: an escape, a control byte, or the end of input.
    private mutating func skipStringAfterSpecial() throws(JSONParseError) -> Bool {
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\"") { return escaped }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                guard index < bytes.count else { throw error("unexpected end of input") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    break
                case UInt8(ascii: "u"): _ = try readUnicodeEscape()
                default: throw error("invalid escape")
                }
            } else if byte < 0x20 {
                index -= 1
                throw error("control character in string")
            }
            index = endOfPlainRun(from: index)
        }
        throw error("unterminated string")
    }
}
