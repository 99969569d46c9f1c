import Glibc

/// Reads the few fields a caller needs from one JSON document without building a `JSON` tree: a streamed
/// chunk's delta costs a scan instead of a tree of strings and objects (that tree was half of a chunk's relay
/// cost). The document is validated first, as strictly as `JSONParser.parseRepairingUTF8` reads it, so the
/// scan can skip the values it does not need without checking them again.
enum JSONScanner {
    /// Validates `bytes` and hands `body` the document's root. Slices point into `bytes`: they are valid only
    /// inside `body`.
    static func read<T>(_ bytes: [UInt8], _ body: (JSONSlice) throws -> T) throws -> T {
        try bytes.withUnsafeBufferPointer { buffer in
            try JSONParser.validateRepairingUTF8(buffer)
            var start = 0
            while JSONSlice.isWhitespace(buffer[start]) { start += 1 }
            return try body(JSONSlice(bytes: buffer, start: start))
        }
    }
}

/// One value inside a document `JSONScanner` validated; read in place, valid only inside `JSONScanner.read`.
struct JSONSlice {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let start: Int

    fileprivate init(bytes: UnsafeBufferPointer<UInt8>, start: Int) {
        self.bytes = bytes
        self.start = start
    }

    private var first: UInt8 { bytes[start] }
    private var end: Int { Self.valueEnd(bytes, from: start) }

    var isNull: Bool { first == UInt8(ascii: "n") }

    /// Each member of an object in document order (nothing for other values). A key that appears twice is
    /// seen twice: keeping the last, as callers do by assigning, reads the document as `JSONParser` does.
    func forEachMember(_ body: (JSONKey, JSONSlice) throws -> Void) rethrows {
        guard first == UInt8(ascii: "{") else { return }
        var index = skipWhitespace(from: start + 1)
        while bytes[index] == UInt8(ascii: "\"") {
            var keyEnd = index + 1
            var escaped = false
            while bytes[keyEnd] != UInt8(ascii: "\"") {
                if bytes[keyEnd] == UInt8(ascii: "\\") {
                    escaped = true
                    keyEnd += 1
                }
                keyEnd += 1
            }
            keyEnd += 1
            let key = JSONKey(bytes: UnsafeBufferPointer(rebasing: bytes[index..<keyEnd]), escaped: escaped)
            let valueStart = skipWhitespace(from: skipWhitespace(from: keyEnd) + 1)  // past the ':'
            let value = JSONSlice(bytes: bytes, start: valueStart)
            try body(key, value)
            index = skipWhitespace(from: Self.valueEnd(bytes, from: valueStart))
            guard bytes[index] == UInt8(ascii: ",") else { return }
            index = skipWhitespace(from: index + 1)
        }
    }

    /// The first element of a non-empty array; nil for other values.
    var firstElement: JSONSlice? {
        guard first == UInt8(ascii: "[") else { return nil }
        let index = skipWhitespace(from: start + 1)
        return bytes[index] == UInt8(ascii: "]") ? nil : JSONSlice(bytes: bytes, start: index)
    }

    /// A string's text (invalid UTF-8 read as U+FFFD); nil for other values.
    var stringValue: String? {
        guard first == UInt8(ascii: "\"") else { return nil }
        let end = self.end
        let inner = UnsafeBufferPointer(rebasing: bytes[start + 1..<end - 1])
        guard inner.contains(UInt8(ascii: "\\")) else { return String(decoding: inner, as: UTF8.self) }
        return json.stringValue
    }

    /// A count as `JSON.countValue` reads it; nil when the value is not a number.
    var countValue: Int? {
        let end = self.end
        let digits = UnsafeBufferPointer(rebasing: bytes[start..<end])
        if digits.count <= 15, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            return min(digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }, JSON.largestCount)
        }
        return first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
            ? json.countValue : nil
    }

    /// The value as a tree, for the rare parts a caller reads whole (tool calls, errors).
    var json: JSON {
        (try? JSONParser.parseRepairingUTF8(Array(bytes[start..<end]))) ?? .null
    }

    private func skipWhitespace(from index: Int) -> Int {
        var index = index
        while index < bytes.count, Self.isWhitespace(bytes[index]) { index += 1 }
        return index
    }

    fileprivate static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// Where the value starting at `index` ends. The document is valid, so only quotes, escapes and brackets
    /// need looking at.
    fileprivate static func valueEnd(_ bytes: UnsafeBufferPointer<UInt8>, from index: Int) -> Int {
        var index = index
        var depth = 0
        repeat {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index = stringEnd(bytes, from: index)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                index += 1
            default:
                guard depth > 0 else {  // a number or a literal: up to the next delimiter
                    while index < bytes.count, !isDelimiter(bytes[index]) { index += 1 }
                    return index
                }
                index += 1
            }
        } while depth > 0
        return index
    }

    /// Past the closing quote of the string that starts at `index`: `memchr` to each quote, which closes the
    /// string unless an odd run of backslashes escapes it.
    private static func stringEnd(_ bytes: UnsafeBufferPointer<UInt8>, from index: Int) -> Int {
        let base = bytes.baseAddress!
        var index = index + 1
        while true {
            let quote = memchr(base + index, Int32(UInt8(ascii: "\"")), bytes.count - index)!
            let at = base.distance(to: quote.assumingMemoryBound(to: UInt8.self))
            var backslashes = 0
            while base[at - 1 - backslashes] == UInt8(ascii: "\\") { backslashes += 1 }
            if backslashes % 2 == 0 { return at + 1 }
            index = at + 1
        }
    }

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") || isWhitespace(byte)
    }
}

/// An object member's key as it stands in the document, compared without making a `String`.
struct JSONKey {
    /// The key with its quotes.
    fileprivate let bytes: UnsafeBufferPointer<UInt8>
    /// Whether the key holds an escape (then it is compared by what it says, which is rare and slower).
    fileprivate let escaped: Bool

    static func == (key: JSONKey, name: StaticString) -> Bool {
        guard !key.escaped else { return (try? JSONParser.parse(Array(key.bytes)))?.stringValue == name.description }
        return key.bytes.count == name.utf8CodeUnitCount + 2
            && memcmp(key.bytes.baseAddress! + 1, name.utf8Start, name.utf8CodeUnitCount) == 0
    }
}
