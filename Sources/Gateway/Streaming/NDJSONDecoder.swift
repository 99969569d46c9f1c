import Glibc

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
    public mutating func lines<Bytes: Sequence>(_ bytes: Bytes) throws -> [[UInt8]] where Bytes.Element == UInt8 {
        var lines: [[UInt8]] = []
        try decode(bytes as? [UInt8] ?? Array(bytes)) { lines.append(Array($0)) }
        return lines
    }

    /// Hands each line `bytes` complete to `visit` in place: a line wholly in `bytes` (the common case) is not
    /// copied, one begun in an earlier call comes from the decoder's buffer; either is valid only during the
    /// call. Throws `StreamLimitExceeded`, or what `visit` throws (the lines after it are not decoded).
    public mutating func decode(
        _ bytes: Swift.Span<UInt8>, _ visit: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws {
        try bytes.withUnsafeBufferPointer { input in
            guard let base = input.baseAddress else { return }
            var start = 0
            while let found = memchr(base + start, 0x0A, input.count - start) {
                let newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                let run = UnsafeBufferPointer(rebasing: input[start..<newline])
                start = newline + 1
                if pending.isEmpty {
                    guard run.count <= maxLineBytes else { throw StreamLimitExceeded(limit: maxLineBytes) }
                    if let line = Self.content(run) { try visit(line) }
                    continue
                }
                try take(run)
                defer { pending.removeAll(keepingCapacity: true) }
                try pending.withUnsafeBufferPointer { buffer in
                    if let line = Self.content(buffer) { try visit(line) }
                }
            }
            try take(UnsafeBufferPointer(rebasing: input[start...]))
        }
    }

    /// `decode(_:_:)` of bytes in an array.
    public mutating func decode(_ bytes: [UInt8], _ visit: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        try decode(bytes.span, visit)
    }

    private mutating func take(_ run: UnsafeBufferPointer<UInt8>) throws(StreamLimitExceeded) {
        guard pending.count + run.count <= maxLineBytes else { throw StreamLimitExceeded(limit: maxLineBytes) }
        pending.append(contentsOf: run)
    }

    /// A line without its CR, or nil when it is blank.
    private static func content(_ line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        let trimmed = line.last == 0x0D ? UnsafeBufferPointer(rebasing: line.dropLast()) : line
        guard trimmed.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return nil }
        return trimmed
    }

    /// The last line's value, when the stream ended without a newline.
    public mutating func finish() throws(JSONParseError) -> JSON? {
        try finishLine().map { (line) throws(JSONParseError) in try JSONParser.parseRepairingUTF8(line) }
    }

    /// The last line, when the stream ended without a newline.
    public mutating func finishLine() -> [UInt8]? {
        defer { pending.removeAll(keepingCapacity: true) }
        return pending.withUnsafeBufferPointer { Self.content($0).map(Array.init) }
    }
}
