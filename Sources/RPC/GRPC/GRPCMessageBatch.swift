/// Response messages framed as they are written, all in one buffer: a burst of messages becomes one write,
/// with no array of its own per message (the encoder appends each payload after its frame prefix).
public struct GRPCMessageBatch: Sendable {
    /// The framed messages, uncompressed.
    private(set) var frames: [UInt8] = []

    public init() {}

    public var isEmpty: Bool { frames.isEmpty }

    /// Appends one message, whose payload `write` appends to the buffer it is given.
    public mutating func append(_ write: (inout [UInt8]) throws -> Void) rethrows {
        let start = frames.count
        frames.append(contentsOf: [0, 0, 0, 0, 0] as [UInt8])  // flag and length, filled in below
        try write(&frames)
        let length = UInt32(frames.count - start - 5)
        frames[start + 1] = UInt8(truncatingIfNeeded: length >> 24)
        frames[start + 2] = UInt8(truncatingIfNeeded: length >> 16)
        frames[start + 3] = UInt8(truncatingIfNeeded: length >> 8)
        frames[start + 4] = UInt8(truncatingIfNeeded: length)
    }

    /// Empties the batch, keeping its buffer for the next one.
    public mutating func removeAll() {
        frames.removeAll(keepingCapacity: true)
    }

    /// The same messages, each compressed (for a client that asked for gzip).
    func compressed() -> [UInt8] {
        var messages = GRPCMessageDeframer(maxMessageBytes: Int(UInt32.max))
        messages.append(frames)
        var out: [UInt8] = []
        while let message = try? messages.next() {
            GRPCMessageFramer.frame(GzipCodec.compress(message.payload), compressed: true, into: &out)
        }
        return out
    }
}
