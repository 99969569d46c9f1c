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

    /// The header fields, in the order they are sent.
    public var fields: [(name: String, value: String)] {
        [("x-request-id", requestID), ("x-gateway-overhead-ms", overheadMilliseconds)]
    }

    /// A number with three decimals, as headers carry milliseconds.
    public static func milliseconds(_ value: Double) -> String {
        let thousandths = value.isFinite ? Int((min(max(value, 0), 1e12) * 1000).rounded()) : 0
        let fraction = String(thousandths % 1000)
        return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
