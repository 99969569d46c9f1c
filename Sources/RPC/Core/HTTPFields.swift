/// An ordered list of header (or trailer) fields with lower-cased names, as HTTP/2 sends them.
public struct HTTPFields: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    /// One field. A struct rather than a tuple: the runtime destroys arrays of tuples element by element
    /// through generic code, and every request carries several of these lists.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
        /// False for a value that changes with every response (a request id, a timing). HTTP/2 then sends it
        /// without adding it to HPACK's table, where it would only push out the fields that do repeat: two
        /// such fields per gRPC answer cost ~4 k instructions a call (nghttp2 searched its table ~100 more times).
        /// HTTP/1.1 ignores it.
        public var indexed = true

        /// Whether the field is called `name` (lower-cased). Lengths first: most fields a lookup passes differ
        /// in length, and a native string knows its own, where `==` on two different strings goes through the
        /// runtime's general comparison (~45 instructions; a gRPC call's lookups passed ~40 fields).
        @inline(__always)
        func isNamed(_ other: String) -> Bool {
            name.utf8.count == other.utf8.count && name == other
        }
    }

    public private(set) var entries: [Field] = []

    public init() {}

    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { append(name, value) }
    }

    public var count: Int { entries.count }

    /// Adds a field; the name is lower-cased so lookups need no case folding. `indexed`: see `Field.indexed`.
    public mutating func append(_ name: String, _ value: String, indexed: Bool = true) {
        if entries.capacity == 0 { entries.reserveCapacity(8) }  // a request's head, without regrowing
        entries.append(Field(name: Self.lowercase(name), value: value, indexed: indexed))
    }

    /// Adds a field of another list as it is (its name was lower-cased when it was added there).
    mutating func append(_ field: Field) {
        if entries.capacity == 0 { entries.reserveCapacity(8) }
        entries.append(field)
    }

    /// Adds a field whose name the caller already lower-cased (a parser that did it in its own buffer).
    mutating func append(lowercased name: String, _ value: String) {
        if entries.capacity == 0 { entries.reserveCapacity(8) }
        entries.append(Field(name: name, value: value))
    }

    /// Lower-cases ASCII names, without allocating when a name already is (HTTP/2 names always are).
    static func lowercase(_ name: String) -> String {
        // Its own test rather than `lowercasedASCII`: written through that, this function no longer had the
        // capital check inlined, ~370 instructions more a gRPC call.
        let isUpper: (UInt8) -> Bool = { $0 >= 0x41 && $0 <= 0x5A }
        let lowered = name.utf8.withContiguousStorageIfAvailable { bytes -> String in
            guard hasUppercaseASCII(bytes) else { return name }
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return name.lowercased() }
            return String(unsafeUninitializedCapacity: bytes.count) { out in
                for (index, byte) in bytes.enumerated() { out[index] = isUpper(byte) ? byte | 0x20 : byte }
                return bytes.count
            }
        }
        return lowered ?? name.lowercased()  // a bridged string without contiguous UTF-8
    }

    /// `byte`, lower-cased if it is an ASCII capital.
    @inline(__always)
    static func lowercasedASCII(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }

    /// Whether `bytes` hold an ASCII capital, eight bytes at a time: nearly every name asked for or added
    /// is lower-case already, and a byte-by-byte scan cost ~130 instructions a name (a gRPC call checks 13).
    private static func hasUppercaseASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        var index = 0
        if let base = bytes.baseAddress {
            while index + 8 <= bytes.count {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                // A byte's low seven bits plus 0x3F reach its top bit from "A" (0x41) up, plus 0x25 from
                // past "Z" (0x5B) up; no sum carries into the next byte. Bytes with their own top bit set
                // (not ASCII) are left out.
                let low = word & (ones &* 0x7F)
                let fromA = low &+ ones &* 0x3F
                let pastZ = low &+ ones &* 0x25
                if fromA & ~pastZ & ~word & (ones &* 0x80) != 0 { return true }
                index += 8
            }
        }
        while index < bytes.count {
            if bytes[index] &- 0x41 < 26 { return true }
            index += 1
        }
        return false
    }

    /// Replaces every field called `name` with one field. `indexed`: see `Field.indexed`.
    public mutating func set(_ name: String, _ value: String, indexed: Bool = true) {
        let lower = Self.lowercase(name)
        // Looked for first: most fields set are new, and `removeAll` rewrites the array even when nothing matches.
        if entries.contains(where: { $0.isNamed(lower) }) { entries.removeAll { $0.isNamed(lower) } }
        if entries.capacity == 0 { entries.reserveCapacity(8) }
        entries.append(Field(name: lower, value: value, indexed: indexed))
    }

    public mutating func remove(_ name: String) {
        let lower = Self.lowercase(name)
        if entries.contains(where: { $0.isNamed(lower) }) { entries.removeAll { $0.isNamed(lower) } }
    }

    /// The first value of `name`, if any. Names are kept lower-cased and nearly every caller asks with a
    /// lower-case literal: looked for as given first, lower-cased only when that finds nothing (lower-casing
    /// first cost ~140 instructions a lookup, and a gRPC call makes nine).
    public subscript(name: String) -> String? {
        if let found = entries.first(where: { $0.isNamed(name) }) { return found.value }
        let lower = Self.lowercase(name)
        guard lower != name else { return nil }
        return entries.first { $0.isNamed(lower) }?.value
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        let lower = Self.lowercase(name)
        return entries.filter { $0.isNamed(lower) }.map(\.value)
    }

    /// Iterates `(name, value)` pairs, so `for (name, value) in headers` reads naturally.
    public func makeIterator() -> LazyMapSequence<[Field], (name: String, value: String)>.Iterator {
        entries.lazy.map { ($0.name, $0.value) }.makeIterator()
    }
}
