import Reactor

/// A provider response's header lines, kept as the bytes curl handed over and parsed only when read:
/// nearly every response is read for its body alone, and turning each header into Strings on arrival
/// cost as much as a tenth of curl's work per request.
public struct ResponseHeaders: Sendable {
    /// "Name: value" lines, each ended by LF (curl's CR LF trimmed off).
    private var lines: [UInt8] = []

    public init() {}

    /// Bytes of the head held so far.
    var byteCount: Int { lines.count }

    /// Takes one line of the head; a new status line (after `100 Continue`, or a redirect) starts over.
    /// Returns false for the blank line that ends a head.
    mutating func take(line: UnsafeRawBufferPointer) -> Bool {
        var end = line.count
        while end > 0, line[end - 1] == 0x0A || line[end - 1] == 0x0D { end -= 1 }
        guard end > 0 else { return false }
        // Compared byte by byte: `starts(with:)` over the literal's UTF-8 view costs ~115 instructions a line.
        if end >= 5, line[0] == UInt8(ascii: "H"), line[1] == UInt8(ascii: "T"), line[2] == UInt8(ascii: "T"),
            line[3] == UInt8(ascii: "P"), line[4] == UInt8(ascii: "/")
        {
            lines.removeAll(keepingCapacity: true)
            return true
        }
        if lines.capacity == 0 { lines.reserveCapacity(512) }
        lines.appendBytes(UnsafeRawBufferPointer(rebasing: line[..<end]))
        lines.append(0x0A)
        return true
    }

    mutating func removeAll() {
        lines.removeAll(keepingCapacity: true)
    }

    /// The fields in order, names lower-cased, values without surrounding blanks.
    public var fields: [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        var start = 0
        while start < lines.count {
            let end = lines[start...].firstIndex(of: 0x0A) ?? lines.count
            let line = lines[start..<end]
            if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                let name = String(
                    decoding: line[..<colon].map(ASCII.lowercased), as: UTF8.self)
                var value = line[(colon + 1)...]
                while let first = value.first, first == 0x20 || first == 0x09 { value.removeFirst() }
                while let last = value.last, last == 0x20 || last == 0x09 { value.removeLast() }
                out.append((name, String(decoding: value, as: UTF8.self)))
            }
            start = end + 1
        }
        return out
    }

    /// The first value of `name` (lower case).
    public func value(_ name: String) -> String? {
        fields.first { $0.name == name }?.value
    }
}
