/// The headers every answer carries, whatever the front door: `x-request-id` and `x-gateway-overhead-ms`
/// (the call's time so far that was not spent waiting on providers).
public struct ResponseDecorations: Sendable {
    public let requestID: String
    /// Milliseconds with three decimals, as the header carries them.
    public let overheadMilliseconds: String

    public init(requestID: String, overheadSeconds: Double) {
        self.requestID = requestID
        overheadMilliseconds = Self.milliseconds(overheadSeconds * 1000)
    }

    /// The header fields, in the order they are sent. Both change with every answer: HTTP/2 sends them
    /// without HPACK indexing (`HTTPFields.Field.indexed`).
    public var fields: [(name: String, value: String)] {
        [("x-request-id", requestID), ("x-gateway-overhead-ms", overheadMilliseconds)]
    }

    /// A number with three decimals, as headers carry milliseconds.
    public static func milliseconds(_ value: Double) -> String {
        var rest = value.isFinite ? Int((min(max(value, 0), 1e12) * 1000).rounded()) : 0
        // Digit by digit from the end (at most 13 before the point): every answer carries one of these.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var start = buffer.count
            func put(_ byte: UInt8) {
                start -= 1
                buffer[start] = byte
            }
            for _ in 0..<3 {
                put(UInt8(ascii: "0") + UInt8(rest % 10))
                rest /= 10
            }
            put(UInt8(ascii: "."))
            repeat {
                put(UInt8(ascii: "0") + UInt8(rest % 10))
                rest /= 10
            } while rest > 0
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[start...]), as: UTF8.self)
        }
    }
}
