/// A reply from Redis (RESP2).
enum RESPReply: Equatable, Sendable {
    case simple(String)
    case error(String)
    case integer(Int)
    case bulk([UInt8]?)
    case array([RESPReply]?)
}

/// Why bytes from Redis are not a reply this client accepts.
struct RESPProtocolError: Error, Equatable, CustomStringConvertible {
    var description: String
}

/// Reads RESP2 replies from bytes as they arrive, with limits on what a broken or hostile server can make
/// it hold: a bulk string's length, an array's element count, nesting depth and a line's length are all
/// checked before anything is allocated for them.
struct RESPReader {
    static let maxBulkBytes = 1 << 20
    static let maxArrayCount = 1 << 16
    static let maxDepth = 8
    static let maxLineBytes = 64 * 1024

    private var buffer: [UInt8] = []
    private var start = 0

    mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 0, start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Bytes held that belong to no complete reply yet.
    var pendingBytes: Int { buffer.count - start }

    /// The next complete reply; nil when more bytes are needed.
    mutating func next() throws(RESPProtocolError) -> RESPReply? {
        var position = start
        guard let reply = try parse(at: &position, depth: 0) else {
            guard pendingBytes <= Self.maxBulkBytes * 2 else { throw RESPProtocolError(description: "reply too large") }
            return nil
        }
        start = position
        return reply
    }

    private func parse(at position: inout Int, depth: Int) throws(RESPProtocolError) -> RESPReply? {
        guard depth <= Self.maxDepth else { throw RESPProtocolError(description: "reply nested too deep") }
        guard let line = try line(at: &position) else { return nil }
        guard let kind = line.first else { throw RESPProtocolError(description: "empty reply line") }
        let rest = line.dropFirst()
        switch kind {
        case UInt8(ascii: "+"): return .simple(String(decoding: rest, as: UTF8.self))
        case UInt8(ascii: "-"): return .error(String(decoding: rest, as: UTF8.self))
        case UInt8(ascii: ":"): return .integer(try Self.integer(rest))
        case UInt8(ascii: "$"):
            let length = try Self.integer(rest)
            guard length >= 0 else { return .bulk(nil) }
            guard length <= Self.maxBulkBytes else { throw RESPProtocolError(description: "bulk string too long") }
            guard buffer.count - position >= length + 2 else { return nil }
            guard buffer[position + length] == 0x0D, buffer[position + length + 1] == 0x0A else {
                throw RESPProtocolError(description: "bulk string not ended by CRLF")
            }
            let data = Array(buffer[position..<(position + length)])
            position += length + 2
            return .bulk(data)
        case UInt8(ascii: "*"):
            let count = try Self.integer(rest)
            guard count >= 0 else { return .array(nil) }
            guard count <= Self.maxArrayCount else { throw RESPProtocolError(description: "array too long") }
            var items: [RESPReply] = []
            for _ in 0..<count {
                guard let item = try parse(at: &position, depth: depth + 1) else { return nil }
                items.append(item)
            }
            return .array(items)
        default:
            throw RESPProtocolError(description: "unexpected reply type \(kind)")
        }
    }

    /// The line at `position` without its CRLF, moving past it; nil when it is not complete yet.
    private func line(at position: inout Int) throws(RESPProtocolError) -> ArraySlice<UInt8>? {
        var index = position
        while index + 1 < buffer.count {
            if buffer[index] == 0x0D, buffer[index + 1] == 0x0A {
                let line = buffer[position..<index]
                position = index + 2
                return line
            }
            index += 1
            guard index - position <= Self.maxLineBytes else { throw RESPProtocolError(description: "line too long") }
        }
        guard buffer.count - position <= Self.maxLineBytes else {
            throw RESPProtocolError(description: "line too long")
        }
        return nil
    }

    /// A signed decimal that fits an Int (the protocol's integers are 64-bit).
    private static func integer(_ digits: ArraySlice<UInt8>) throws(RESPProtocolError) -> Int {
        guard let value = Int(String(decoding: digits, as: UTF8.self)) else {
            throw RESPProtocolError(description: "not an integer")
        }
        return value
    }
}
