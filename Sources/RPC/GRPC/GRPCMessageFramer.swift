/// One length-prefixed gRPC message: a compressed flag and the payload.
public struct GRPCFrame: Equatable, Sendable {
    public var compressed: Bool
    public var payload: [UInt8]
}

/// Why a gRPC body could not be split into messages.
public enum GRPCDeframingError: Error, Equatable {
    case messageTooLarge(length: Int, limit: Int)
    case invalidFlag(UInt8)
}

/// Writes and reads gRPC's 5-byte message prefix (flag, big-endian length), apart from any I/O.
public enum GRPCMessageFramer {
    public static func frame(_ payload: [UInt8], compressed: Bool = false) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(payload.count + 5)
        frame(payload, compressed: compressed, into: &out)
        return out
    }

    /// Appends the framed message to `out` (several messages written at once share one buffer).
    public static func frame(_ payload: [UInt8], compressed: Bool = false, into out: inout [UInt8]) {
        let length = UInt32(payload.count)
        out.append(compressed ? 1 : 0)
        out.append(UInt8(truncatingIfNeeded: length >> 24))
        out.append(UInt8(truncatingIfNeeded: length >> 16))
        out.append(UInt8(truncatingIfNeeded: length >> 8))
        out.append(UInt8(truncatingIfNeeded: length))
        out.append(contentsOf: payload)
    }
}

/// Accumulates body bytes as they arrive, split or coalesced anyhow, and yields whole messages.
public struct GRPCMessageDeframer {
    private var buffer: [UInt8] = []
    private var start = 0
    public let maxMessageBytes: Int

    public init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
    }

    public mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// Bytes that belong to a message not yet complete.
    public var pendingBytes: Int { buffer.count - start }

    /// The next complete message, nil when more bytes are needed.
    public mutating func next() throws(GRPCDeframingError) -> GRPCFrame? {
        guard pendingBytes >= 5 else { return nil }
        let flag = buffer[start]
        guard flag <= 1 else { throw .invalidFlag(flag) }
        let length =
            Int(buffer[start + 1]) << 24 | Int(buffer[start + 2]) << 16
            | Int(buffer[start + 3]) << 8 | Int(buffer[start + 4])
        guard length <= maxMessageBytes else { throw .messageTooLarge(length: length, limit: maxMessageBytes) }
        guard pendingBytes >= 5 + length else { return nil }
        let payload = Array(buffer[(start + 5)..<(start + 5 + length)])
        start += 5 + length
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        return GRPCFrame(compressed: flag == 1, payload: payload)
    }
}
