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
    /// (two are made per request).
    public static func uuid(prefix: StaticString = "") -> String {
        // Byte 6's high nibble is the version (4); byte 8's two high bits the variant (10).
        uuid(high: next() & ~(0xF0 << 48) | (0x40 << 48), low: next() & ~0xC0 | 0x80, prefix: prefix)
    }

    /// The UUID whose 16 bytes are `high`'s then `low`'s, each little-endian, in the 8-4-4-4-12 form.
    static func uuid(high: UInt64, low: UInt64, prefix: StaticString) -> String {
        let prefixCount = prefix.utf8CodeUnitCount
        return String(unsafeUninitializedCapacity: prefixCount + 36) { buffer in
            guard let start = buffer.baseAddress else { return 0 }
            prefix.withUTF8Buffer { bytes in
                if let from = bytes.baseAddress { start.initialize(from: from, count: bytes.count) }
            }
            let out = UnsafeMutableRawPointer(start + prefixCount)
            let first = hexDigits(of: UInt32(truncatingIfNeeded: high))
            let second = hexDigits(of: UInt32(truncatingIfNeeded: high >> 32))
            let third = hexDigits(of: UInt32(truncatingIfNeeded: low))
            out.storeBytes(of: first.littleEndian, as: UInt64.self)
            out.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 8, as: UInt8.self)
            out.storeBytes(of: UInt32(truncatingIfNeeded: second).littleEndian, toByteOffset: 9, as: UInt32.self)
            out.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 13, as: UInt8.self)
            out.storeBytes(of: UInt32(truncatingIfNeeded: second >> 32).littleEndian, toByteOffset: 14, as: UInt32.self)
            out.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 18, as: UInt8.self)
            out.storeBytes(of: UInt32(truncatingIfNeeded: third).littleEndian, toByteOffset: 19, as: UInt32.self)
            out.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 23, as: UInt8.self)
            out.storeBytes(of: UInt32(truncatingIfNeeded: third >> 32).littleEndian, toByteOffset: 24, as: UInt32.self)
            out.storeBytes(
                of: hexDigits(of: UInt32(truncatingIfNeeded: low >> 32)).littleEndian, toByteOffset: 28, as: UInt64.self
            )
            return prefixCount + 36
        }
    }

    /// The eight lower-case hex digits of `bytes`' four bytes (the lowest first, each high nibble first), one
    /// digit per byte of the result from its lowest byte up: all four bytes at once, where a digit at a time
    /// cost ~50 instructions a byte (~800 a UUID).
    private static func hexDigits(of bytes: UInt32) -> UInt64 {
        var spread = UInt64(bytes)
        spread = (spread | spread << 16) & 0x0000_FFFF_0000_FFFF
        spread = (spread | spread << 8) & 0x00FF_00FF_00FF_00FF  // byte i now in 16-bit lane i
        let nibbles = (spread >> 4) & 0x000F_000F_000F_000F | (spread & 0x000F_000F_000F_000F) << 8
        // A nibble of 10 or more gets "a" - "0" - 10 more than "0" plus its value; no byte carries into the next.
        let letters = ((nibbles &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
        return nibbles &+ 0x3030_3030_3030_3030 &+ letters &* 0x27
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
    public static func generation() -> String { uuid(prefix: "gen-") }
}
