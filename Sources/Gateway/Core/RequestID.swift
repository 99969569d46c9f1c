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

    /// A random (version 4, RFC 9562 variant) UUID in its 36-character form, written in place: two of these
    /// are made per request.
    public static func uuid() -> String {
        let words = (next(), next())
        return String(unsafeUninitializedCapacity: 36) { out in
            var position = 0
            for index in 0..<16 {
                var byte = UInt8(truncatingIfNeeded: (index < 8 ? words.0 : words.1) >> (UInt64(index % 8) * 8))
                if index == 6 { byte = byte & 0x0F | 0x40 }
                if index == 8 { byte = byte & 0x3F | 0x80 }
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    out[position] = UInt8(ascii: "-")
                    position += 1
                }
                out[position] = ASCII.hexDigit(byte >> 4)
                out[position + 1] = ASCII.hexDigit(byte & 0x0F)
                position += 2
            }
            return position
        }
    }

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
    public static func generation() -> String { "gen-" + uuid() }
}
