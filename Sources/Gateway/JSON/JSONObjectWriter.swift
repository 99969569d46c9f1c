import Reactor

/// A JSON object written member by member straight into bytes, for the documents built on every call (a
/// provider's request body, a unary answer) only to be serialized once: a `JSON` tree costs a node, a key
/// search and a release per member on top of the same writing.
///
/// Keys are literals: the caller knows them to be distinct and free of anything JSON escapes. Values write
/// exactly as `JSONSerializer` writes them, so a document reads the same built either way.
public struct JSONObjectWriter: JSONMemberSink {
    // Reachable from inlined code (`add(_:array:_:)`), not by callers.
    @usableFromInline var bytes: [UInt8]
    @usableFromInline var isEmpty = true

    public init(reservingCapacity capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// Continues `bytes` with a nested object; `finish()` hands them back with it closed.
    private init(continuing bytes: consuming [UInt8]) {
        // Appended before the move: `self.bytes = bytes` leaves the parameter holding the buffer too until
        // the end of the init, so an append after it copied the whole document, for every nested object.
        bytes.append(UInt8(ascii: "{"))
        self.bytes = bytes
    }

    /// Appends to `out` an object written by `members` (`out` is moved into the writer and back, not copied).
    public static func write(into out: inout [UInt8], _ members: (inout JSONObjectWriter) -> Void) {
        var taken: [UInt8] = []
        swap(&taken, &out)
        var writer = JSONObjectWriter(continuing: consume taken)
        members(&writer)
        out = writer.finish()
    }

    /// The document, closed; the writer is left empty. (Mutating and handed out by a swap, not `consuming`:
    /// a writer held in a `var` was copied into the consuming call, and the closing append then copied the
    /// whole document.)
    public mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        var document: [UInt8] = []
        swap(&document, &bytes)
        return document
    }

    /// Writes `,"key":` in one copy (~115 instructions a key; appended piece by piece, ~215).
    @usableFromInline mutating func key(_ key: StaticString) {
        let separator = isEmpty ? 0 : 1
        isEmpty = false
        key.withUTF8Buffer { name in
            bytes.appendBytes(count: separator + name.count + 3) { out in
                // With no separator the quote below takes the comma's place.
                out.storeBytes(of: UInt8(ascii: ","), as: UInt8.self)
                out.storeBytes(of: UInt8(ascii: "\""), toByteOffset: separator, as: UInt8.self)
                (out + separator + 1).copyMemory(from: name.baseAddress!, byteCount: name.count)
                out.storeBytes(of: UInt8(ascii: "\""), toByteOffset: separator + 1 + name.count, as: UInt8.self)
                out.storeBytes(of: UInt8(ascii: ":"), toByteOffset: separator + 2 + name.count, as: UInt8.self)
            }
        }
    }

    public mutating func add(_ key: StaticString, _ value: String) {
        self.key(key)
        JSONSerializer.writeString(value, into: &bytes)
    }

    public mutating func add(_ key: StaticString, _ value: Int) {
        self.key(key)
        JSONSerializer.writeInteger(value, into: &bytes)
    }

    public mutating func add(_ key: StaticString, _ value: Double) {
        self.key(key)
        JSONSerializer.writeNumber(value, into: &bytes)
    }

    /// A measurement rounded to the thousandth (a latency in milliseconds: to the microsecond).
    public mutating func add(_ key: StaticString, thousandths value: Double) {
        self.key(key)
        JSONSerializer.writeThousandths(value, into: &bytes)
    }

    public mutating func add(_ key: StaticString, _ value: Bool) {
        self.key(key)
        bytes.appendBytes(value ? "true" : "false")
    }

    public mutating func add(_ key: StaticString, _ value: JSON) {
        self.key(key)
        JSONSerializer.write(value, into: &bytes)
    }

    /// A member whose value is an object written by `members`.
    public mutating func add(_ key: StaticString, object members: (inout JSONObjectWriter) -> Void) {
        self.key(key)
        Self.write(into: &bytes, members)
    }

    /// A member whose value is an array of `items`, each written by `item`. Inlinable: a front door's
    /// call would otherwise iterate through the generic witnesses of `Sequence` (~1.5 k instructions).
    @inlinable
    public mutating func add<Items: Sequence>(
        _ key: StaticString, array items: Items, _ item: (Items.Element, inout [UInt8]) -> Void
    ) {
        self.key(key)
        bytes.append(UInt8(ascii: "["))
        var first = true
        for element in items {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            item(element, &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }
}

/// Where a document's members go: a tree being built (`JSONObject`) or bytes being written
/// (`JSONObjectWriter`); what several documents share (a response's and a final chunk's token breakdown) is
/// written once for both.
public protocol JSONMemberSink {
    mutating func add(_ key: StaticString, _ value: JSON)
}

extension JSONObject: JSONMemberSink {
    public mutating func add(_ key: StaticString, _ value: JSON) {
        self[key.description] = value
    }
}
