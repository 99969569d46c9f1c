import Reactor

/// Parses the `grpc-timeout` header: 1–8 ASCII digits and a unit (H, M, S, m, u, n).
public enum GRPCTimeout {
    /// Timeouts longer than this mean "no deadline": the header allows up to 99,999,999 hours, and a
    /// deadline that far out only risks overflow in every clock it is converted to.
    public static let longestNanoseconds: UInt64 = 86_400 * 1_000_000_000

    /// The timeout in nanoseconds, or nil when the value is malformed. Never overflows: the largest
    /// value (99999999H) saturates.
    public static func parseNanoseconds(_ value: String) -> UInt64? {
        let bytes = Array(value.utf8)
        guard bytes.count >= 2, bytes.count <= 9 else { return nil }
        var amount: UInt64 = 0
        for byte in bytes.dropLast() {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            amount = amount * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        let unit: UInt64
        switch bytes.last! {
        case UInt8(ascii: "H"): unit = 3_600_000_000_000
        case UInt8(ascii: "M"): unit = 60_000_000_000
        case UInt8(ascii: "S"): unit = 1_000_000_000
        case UInt8(ascii: "m"): unit = 1_000_000
        case UInt8(ascii: "u"): unit = 1_000
        case UInt8(ascii: "n"): unit = 1
        default: return nil
        }
        let (product, overflow) = amount.multipliedReportingOverflow(by: unit)
        return overflow ? .max : product
    }

    /// The deadline a `grpc-timeout` value sets from `now`: nil when the header is malformed or longer than
    /// a day (no deadline).
    public static func deadline(_ value: String, from now: MonotonicInstant) -> MonotonicInstant? {
        guard let nanoseconds = parseNanoseconds(value), nanoseconds <= longestNanoseconds else { return nil }
        return now.advanced(byNanoseconds: nanoseconds)
    }
}
