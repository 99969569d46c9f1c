import Synchronization

/// Identifiers for requests, generations and spans: version-4-shaped UUIDs and hex ids.
///
/// They must be unique, not secret, so they come from splitmix64 over a counter seeded once from the
/// system's secure generator: no syscall per id (the kernel RNG was the top cost of a request).
public enum RequestID {
    private static let hex = Array("0123456789abcdef".utf8)
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
        var out: [UInt8] = []
        out.reserveCapacity(count * 2)
        var bits = next()
        for index in 0..<count {
            if index > 0, index % 8 == 0 { bits = next() }
            let byte = UInt8(truncatingIfNeeded: bits >> (UInt64(index % 8) * 8))
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func uuid() -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for word in [next(), next()] {
            for shift in stride(from: 0, to: 64, by: 8) {
                bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A generation id: `gen-<uuid>`.
    public static func generation() -> String { "gen-" + uuid() }
}
