import Glibc

/// Why bytes are not JSON, with the byte offset where parsing stopped.
public struct JSONParseError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var description: String { "\(message) at byte \(offset)" }
}

/// A strict RFC 8259 parser: no comments, no trailing commas, no leading zeros, valid UTF-8 and escapes.
///
/// It reads through a buffer pointer, valid for the duration of `parse` only: indexing an array re-checks
/// the array on every byte, and this runs for every provider response and every streamed chunk.
public struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var depth = 0
    private static let maxDepth = 128

    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSON {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONParseError) -> JSON in
            var parser = JSONParser(bytes: buffer)
            parser.skipWhitespace()
            let value = try parser.parseValue()
            parser.skipWhitespace()
            guard parser.index == buffer.count else { throw parser.error("unexpected data after the JSON value") }
            return value
        }
    }

    /// Like `parse`, but invalid UTF-8 inside strings reads as U+FFFD instead of failing, the way a text
    /// decoder reads it: for providers' streams, where one stray byte should not end an answer.
    public static func parseRepairingUTF8(_ bytes: [UInt8]) throws(JSONParseError) -> JSON {
        do {
            return try parse(bytes)
        } catch {
            guard !bytes.withUnsafeBufferPointer(UTF8Validation.isValid) else { throw error }
            return try parse(Array(String(decoding: bytes, as: UTF8.self).utf8))
        }
    }

    public static func parse(_ text: String) throws(JSONParseError) -> JSON {
        try parse(Array(text.utf8))
    }

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    func error(_ message: String) -> JSONParseError {
        JSONParseError(message: message, offset: index)
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// Parses the value at `range` of `bytes`, which must hold exactly one value.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(JSONParseError) -> JSON {
        var parser = JSONParser(bytes: UnsafeBufferPointer(rebasing: bytes[range]))
        let value = try parser.parseValue()
        guard parser.index == range.count else { throw parser.error("unexpected data after the JSON value") }
        return value
    }

    private mutating func parseValue() throws(JSONParseError) -> JSON {
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("unexpected end of input") }
        guard memcmp(bytes.baseAddress! + index, literal.utf8Start, count) == 0 else { throw error("invalid literal") }
        index += count
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        guard depth <= JSONParser.maxDepth else { throw error("nesting deeper than \(JSONParser.maxDepth)") }
    }

    private mutating func parseObject() throws(JSONParseError) -> JSON {
        try enter()
        defer { depth -= 1 }
        index += 1
        var object = JSONObject()
        object.reserveCapacity(8)
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a key string") }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            skipWhitespace()
            object[key] = try parseValue()
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(object)
            } else {
                throw error("expected ',' or '}'")
            }
        }
    }

    private mutating func parseArray() throws(JSONParseError) -> JSON {
        try enter()
        defer { depth -= 1 }
        index += 1
        var array: [JSON] = []
        array.reserveCapacity(4)
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(array)
        }
        while true {
            skipWhitespace()
            array.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(array)
            } else {
                throw error("expected ',' or ']'")
            }
        }
    }

    mutating func parseNumber() throws(JSONParseError) -> Double {
        let start = index
        guard try scanNumber() else { return try numberValue(from: start) }
        let negative = bytes[start] == UInt8(ascii: "-")
        var value = 0
        for digit in bytes[(negative ? start + 1 : start)..<index] {
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return negative ? -Double(value) : Double(value)
    }

    /// Past the number here, checked as `parseNumber` checks it, without its value when it is a short integer.
    mutating func skipNumber() throws(JSONParseError) {
        let start = index
        if try !scanNumber() { _ = try numberValue(from: start) }
    }

    /// Past the number here by the grammar; true when it is an integer of at most 15 digits, which is exact
    /// in a Double and needs no text conversion (token counts, ids, timestamps).
    private mutating func scanNumber() throws(JSONParseError) -> Bool {
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw error("invalid number") }
        let digitsStart = index
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if isDigit(bytes[index]) {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        } else {
            throw error("invalid number")
        }
        var integer = index - digitsStart <= 15
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            integer = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            integer = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        return integer
    }

    /// The value of the number scanned from `start` to here, by text conversion; out of a Double's range is
    /// an error.
    private func numberValue(from start: Int) throws(JSONParseError) -> Double {
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw error("number out of range") }
        return value
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        let start = index
        // Fast path: no escapes.
        index = endOfPlainRun(from: start)
        if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
            let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
            index += 1
            return try validUTF8(slice)
        }
        var out = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return try out.withUnsafeBufferPointer { (buffer) throws(JSONParseError) -> String in
                    try validUTF8(buffer)
                }
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw error("unexpected end of input") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"): try appendUnicodeEscape(into: &out)
                default: throw error("invalid escape")
                }
            default:
                guard byte >= 0x20 else { throw error("control character in string") }
                out.append(byte)
                index += 1
            }
        }
        throw error("unterminated string")
    }

    /// Where the run of plain string bytes starting at `start` ends: the first quote, backslash or control
    /// byte, or the end of input. Eight bytes at a time while eight remain, then one at a time. Works on a
    /// local index: the stored one would be written back on every byte.
    @inline(__always)
    func endOfPlainRun(from start: Int) -> Int {
        Self.endOfPlainRun(in: bytes, from: start)
    }

    /// The same over any buffer (the serializer finds the bytes to escape with it).
    @inline(__always)
    static func endOfPlainRun(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var plain = start
        if let base = bytes.baseAddress {
            while plain + 8 <= bytes.count {
                let special = Self.stringSpecials(UnsafeRawPointer(base + plain).loadUnaligned(as: UInt64.self))
                if special != 0 { return plain + special.trailingZeroBitCount >> 3 }
                plain += 8
            }
        }
        while plain < bytes.count, bytes[plain] >= 0x20, bytes[plain] != UInt8(ascii: "\""),
            bytes[plain] != UInt8(ascii: "\\")
        {
            plain += 1
        }
        return plain
    }

    /// The top bits of the bytes in `word` (little-endian) that are a quote, a backslash or a control byte:
    /// the bytes that end a plain run inside a string. SWAR: a byte of `x` is zero exactly when
    /// `(x - 1) & ~x` sets its top bit, and `(x - 0x20) & ~x` sets it for a byte below 0x20 — exact for
    /// the lowest such byte; borrows may mark bytes above it, so only the lowest mark is to be used.
    @inline(__always)
    static func stringSpecials(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quotes = word ^ (ones &* 0x22)
        let backslashes = word ^ (ones &* 0x5C)
        let zeroQuote = (quotes &- ones) & ~quotes
        let zeroBackslash = (backslashes &- ones) & ~backslashes
        let control = (word &- ones &* 0x20) & ~word
        return (zeroQuote | zeroBackslash | control) & (ones &* 0x80)
    }

    private mutating func readHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private mutating func appendUnicodeEscape(into out: inout [UInt8]) throws(JSONParseError) {
        out.append(contentsOf: String(Character(Unicode.Scalar(try readUnicodeEscape())!)).utf8)
    }

    /// The scalar of a `\\u` escape (after the `u`), a surrogate pair read whole.
    mutating func readUnicodeEscape() throws(JSONParseError) -> UInt32 {
        var scalar = try readHex4()
        if scalar >= 0xD800, scalar <= 0xDBFF {
            guard index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else { throw error("unpaired surrogate") }
            index += 2
            let low = try readHex4()
            guard low >= 0xDC00, low <= 0xDFFF else { throw error("unpaired surrogate") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if scalar >= 0xDC00, scalar <= 0xDFFF {
            throw error("unpaired surrogate")
        }
        return scalar
    }

    /// `String(validating:)` instantiates generic metadata on every call (a tenth of an SSE chunk's relay
    /// cost); checking here and then decoding is a plain loop, and ASCII skips the check.
    private func validUTF8(_ buffer: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> String {
        guard UTF8Validation.isValid(buffer) else { throw error("invalid UTF-8 in string") }
        return String(decoding: buffer, as: UTF8.self)
    }
}
