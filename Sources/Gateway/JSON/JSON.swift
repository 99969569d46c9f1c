import Glibc

/// A JSON value: what providers send and what the REST shim reads and writes.
///
/// Objects keep their keys in insertion order so that what we serialize reads the way it was built.
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object(JSONObject)

    /// A measurement rounded to the thousandth (a latency in milliseconds: to the microsecond), as
    /// `JSONObjectWriter.add(_:thousandths:)` writes it.
    public static func thousandths(_ value: Double) -> JSON {
        .number(value.isFinite ? (value * 1000).rounded() / 1000 : value)
    }

    public subscript(key: String) -> JSON? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var doubleValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The number as an integer when it is one exactly.
    public var intValue: Int? {
        guard case .number(let value) = self, value.rounded() == value, abs(value) < 9.0e15 else { return nil }
        return Int(value)
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSON]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// The JSON type's name, for error messages ("expected a string, got a number").
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// A JSON object with keys in insertion order.
///
/// Objects on the hot path are small (a provider's chunk, a response), where a linear search beats hashing;
/// past `indexThreshold` keys a dictionary index takes over, so large objects never make lookups quadratic.
public struct JSONObject: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    /// One key and its value. A struct, not a tuple: arrays of tuples are created and destroyed through the
    /// runtime's generic paths, a cost paid for every object of every streamed chunk.
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: JSON
    }

    public private(set) var entries: [Entry] = []
    /// Keyed by the keys' UTF-8 bytes, so that large objects tell keys apart exactly as small ones do.
    private var index: [[UInt8]: Int]?
    private static let indexThreshold = 16

    public init() {}

    public init(dictionaryLiteral elements: (String, JSON)...) {
        entries.reserveCapacity(elements.count)
        for (key, value) in elements { self[key] = value }
    }

    /// Room for `count` entries without regrowing (parsing and building objects append one at a time).
    public mutating func reserveCapacity(_ count: Int) {
        entries.reserveCapacity(count)
    }

    /// Keys compare as UTF-8 bytes (as RFC 8259 compares them; `String ==` would equate canonically
    /// equivalent keys), lengths first: `String ==` on two different keys costs dozens of instructions, and
    /// every key set or read searches the entries.
    private func position(of key: String) -> Int? {
        if let index { return index[Array(key.utf8)] }
        let length = key.utf8.count
        return entries.firstIndex { $0.key.utf8.count == length && Self.sameKey($0.key, key) }
    }

    /// Whether two keys are the same UTF-8 bytes: compared in place when both are contiguous (native
    /// strings are), as the generic `elementsEqual` walk of two UTF-8 views cost ~200 instructions a key.
    package static func sameKey(_ a: String, _ b: String) -> Bool {
        let same = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in
                x.count == y.count && (x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0)
            }
        }
        return (same ?? nil) ?? a.utf8.elementsEqual(b.utf8)
    }

    public subscript(key: String) -> JSON? {
        get { position(of: key).map { entries[$0].value } }
        set {
            if let newValue {
                if let existing = position(of: key) {
                    entries[existing].value = newValue
                } else {
                    if entries.capacity == 0 { entries.reserveCapacity(8) }  // built one key at a time
                    entries.append(Entry(key: key, value: newValue))
                    if index != nil {
                        index![Array(key.utf8)] = entries.count - 1
                    } else if entries.count > Self.indexThreshold {
                        index = Dictionary(
                            entries.enumerated().map { (Array($1.key.utf8), $0) }, uniquingKeysWith: { $1 })
                    }
                }
            } else if let existing = position(of: key) {
                entries.remove(at: existing)
                if index != nil {
                    index = Dictionary(entries.enumerated().map { (Array($1.key.utf8), $0) }, uniquingKeysWith: { $1 })
                }
            }
        }
    }

    public var count: Int { entries.count }
    public var keys: [String] { entries.map(\.key) }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.entries == rhs.entries
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        var object = JSONObject()
        object.reserveCapacity(elements.count)
        for (key, value) in elements { object[key] = value }
        self = .object(object)
    }
}
