/// Decodes newline-delimited JSON (Ollama's streaming format): one JSON value per line, lines split
/// across chunks anywhere, CRLF tolerated, blank lines skipped. A line longer than `maxLineBytes` is an
/// error (`StreamLimitExceeded`), as a malformed one is (`JSONParseError`).
public struct NDJSONDecoder: Sendable {
    private var pending: [UInt8] = []
    public let maxLineBytes: Int

    public init(maxLineBytes: Int = SSEDecoder.defaultMaxEventBytes) {
        self.maxLineBytes = maxLineBytes
    }

    /// The values of the lines `bytes` complete.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) throws -> [JSON] where Bytes.Element == UInt8 {
        try lines(bytes).map { try JSONParser.parseRepairingUTF8($0) }
    }

    /// The lines `bytes` complete, as bytes (for readers that take only some fields of each).
    public mutating func lines<Bytes: Sequence>(_ bytes: Bytes) throws(StreamLimitExceeded) -> [[UInt8]]
    where Bytes.Element == UInt8 {
        let input = bytes as? [UInt8] ?? Array(bytes)
        var lines: [[UInt8]] = []
        var start = 0
        while let newline = input[start...].firstIndex(of: 0x0A) {
            try take(input[start..<newline])
            if let line = takeLine() { lines.append(line) }
            start = newline + 1
        }
        try take(input[start...])
        return lines
    }

    private mutating func take(_ run: ArraySlice<UInt8>) throws(StreamLimitExceeded) {
        guard pending.count + run.count <= maxLineBytes else { throw StreamLimitExceeded(limit: maxLineBytes) }
        pending.append(contentsOf: run)
    }

    /// The last line's value, when the stream ended without a newline.
    public mutating func finish() throws(JSONParseError) -> JSON? {
        try finishLine().map { (line) throws(JSONParseError) in try JSONParser.parseRepairingUTF8(line) }
    }

    /// The last line, when the stream ended without a newline.
    public mutating func finishLine() -> [UInt8]? {
        takeLine()
    }

    private mutating func takeLine() -> [UInt8]? {
        defer { pending.removeAll(keepingCapacity: true) }
        if pending.last == 0x0D { pending.removeLast() }
        guard pending.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return nil }
        return pending
    }
}
