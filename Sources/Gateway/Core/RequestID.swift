import Synchronization

/// Identifiers for requests, generations and spans: version-4-shaped UUIDs and hex ids.
///
/// They must be unique, not secret, so they come from splitmix64 over a counter seeded once from the
/// system's secure generator: no syscall per id (the kernel RNG was the top cost of a request).
public enum RequestID {
    private static let seed: UInt64 = {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }()
    private static let counter = Atomic<UInt64>(0)

    /// 64 fresh pseudo-random bits.
    static func next() -> UInt64 {
        var z = seed &+ counter.add(1, ordering: .relaxed).newValue &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` bytes as lower-case hex.
    static func hexString(bytes count: Int) -> String {
        var bits = next()
        return String(unsafeUninitializedCapacity: count * 2) { out in
            for index in 0..<count {
                if index > 0, index % 8 == 0 { bits = next() }
                let byte = UInt8(truncatingIfNeeded: bits >> (UInt64(index % 8) * 8))
                out[2 * index] = ASCII.hexDigit(byte >> 4)
                out[2 * index + 1] = ASCII.hexDigit(byte & 0x0F)
            }
            return count * 2
        }
    }

    /// A random (version 4, RFC 9562 variant) UUID in its 36-character form, after `prefix`, written in place
    /// (two are made per request, so the loop is kept branch-light).
    public static func uuid(prefix: StaticString = "") -> String {
        // Byte 6's high nibble is the version (4); byte 8's two high bits the variant (10).
        let high = next() & ~(0xF0 << 48) | (0x40 << 48)
        let low = next() & ~0xC0 | 0x80
        let prefixCount = prefix.utf8CodeUnitCount
        return String(unsafeUninitializedCapacity: prefixCount + 36) { out in
            guard var at = out.baseAddress else { return 0 }
            prefix.withUTF8Buffer { bytes in
                for byte in bytes {
                    at.pointee = byte
                    at += 1
                }
            }
            let digits = hexDigits.utf8Start
            for index in 0..<16 {
                let byte = UInt8(truncatingIfNeeded: (index < 8 ? high : low) >> (UInt64(index & 7) &* 8))
                if Self.dashBefore >> index & 1 != 0 {
                    at.pointee = UInt8(ascii: "-")
                    at += 1
                }
                at[0] = digits[Int(byte >> 4)]
                at[1] = digits[Int(byte & 0x0F)]
                at += 2
            }
            return prefixCount + 36
        }
    }

    private static let hexDigits: StaticString = "0123456789abcdef"
    /// The bytes a dash comes before: 4, 6, 8 and 10 (8-4-4-4-12 digits).
    private static let dashBefore = 0b0101_0101_0000

    /// The client's request id when it is a sane token (1–128 printable ASCII characters, no spaces), else
    /// a new one: the id is echoed in headers and logs, so it must not carry line breaks, bytes a header
    /// cannot hold, or a payload of any size. Every front door decides it here.
    public static func accepting(_ given: String?) -> String {
        if let given, !given.isEmpty, given.utf8.count <= 128, given.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            return given
        }
        return uuid()
    }

    /// A generation id: `gen-<uuid>`.
    public static func generation() -> String { uuid(prefix: "gen-") }
}
