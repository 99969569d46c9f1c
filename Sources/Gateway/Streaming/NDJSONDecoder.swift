/// Decodes newline-delimited JSON (Ollama's streaming format): one JSON value per line, lines split
/// across chunks anywhere, CRLF tolerated, blank lines skipped.
public struct NDJSONDecoder: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) throws(JSONParseError) -> [JSON]
    where Bytes.Element == UInt8 {
        var values: [JSON] = []
        for byte in bytes {
            if byte == 0x0A {
                if let value = try takeLine() { values.append(value) }
            } else {
                pending.append(byte)
            }
        }
        return values
    }

    /// The last line, when the stream ended without a newline.
    public mutating func finish() throws(JSONParseError) -> JSON? {
        try takeLine()
    }

    private mutating func takeLine() throws(JSONParseError) -> JSON? {
        defer { pending.removeAll(keepingCapacity: true) }
        var line = pending[...]
        if line.last == 0x0D { line = line.dropLast() }
        guard line.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return nil }
        return try JSONParser.parse(Array(line))
    }
}
