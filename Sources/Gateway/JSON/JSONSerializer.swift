import Reactor

/// Writes compact JSON (no insignificant whitespace), escaping as RFC 8259 requires.
public enum JSONSerializer {
    public static func serialize(_ value: JSON) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }

    public static func string(_ value: JSON) -> String {
        String(decoding: serialize(value), as: UTF8.self)
    }

    public static func write(_ value: JSON, into out: inout [UInt8]) {
        switch value {
        case .null: out.appendBytes("null")
        case .bool(let flag): out.appendBytes(flag ? "true" : "false")
        case .number(let number): writeNumber(number, into: &out)
        case .string(let text): writeString(text, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (offset, item) in items.enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            for (offset, entry) in object.entries.enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                writeString(entry.key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(entry.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Integers print without a fraction, short decimals (a temperature, a top-p) with the fewest fraction
    /// digits that read back as the same number; others in Swift's shortest round-trip form, which costs
    /// ~1 k instructions a number (and a temperature is in every provider request).
    static func writeNumber(_ number: Double, into out: inout [UInt8]) {
        guard number.isFinite else { return out.appendBytes("null") }
        if number.rounded() == number, abs(number) < 1e15 {
            if number < 0 { out.append(UInt8(ascii: "-")) }
            writeDigits(UInt64(abs(number)), into: &out)
        } else if !writeShortDecimal(number, into: &out) {
            out.append(contentsOf: "\(number)".utf8)
        }
    }

    private static let powersOfTen: [Double] = [10, 100, 1_000, 10_000, 100_000, 1_000_000]

    /// Writes `number` as `digits / 10^k` for the smallest k ≤ 6 that reads back exactly (10^k and the digits
    /// are exact doubles, and IEEE division rounds correctly, so the equality proves the round trip); false
    /// when none does, or the number is too large for the digits to be exact.
    private static func writeShortDecimal(_ number: Double, into out: inout [UInt8]) -> Bool {
        let magnitude = abs(number)
        guard magnitude < 1e9 else { return false }
        for (places, scale) in powersOfTen.enumerated() {
            let scaled = (magnitude * scale).rounded()
            guard scaled / scale == magnitude else { continue }
            let digits = UInt64(scaled)
            let unit = UInt64(scale)
            if number < 0 { out.append(UInt8(ascii: "-")) }
            writeDigits(digits / unit, into: &out)
            out.append(UInt8(ascii: "."))
            var fraction = digits % unit
            var divisor = unit / 10
            for _ in 0...places {  // leading zeros of the fraction included; its last digit is never 0
                out.append(UInt8(ascii: "0") + UInt8(fraction / divisor))
                fraction %= divisor
                divisor /= 10
            }
            return true
        }
        return false
    }

    /// Any `Int` exactly (a `Double` holds integers exactly only up to 2^53).
    static func writeInteger(_ number: Int, into out: inout [UInt8]) {
        if number < 0 { out.append(UInt8(ascii: "-")) }
        writeDigits(UInt64(number.magnitude), into: &out)
    }

    /// A measurement rounded to the thousandth, in fixed point without trailing zeros: the latency on every
    /// answer, in milliseconds. Swift's shortest round-trip form costs ~2 k instructions a number, and digits
    /// past the microsecond say nothing about a latency.
    static func writeThousandths(_ number: Double, into out: inout [UInt8]) {
        guard number.isFinite, abs(number) < 1e12 else { return writeNumber(number, into: &out) }
        let scaled = UInt64((abs(number) * 1000).rounded())
        if number < 0, scaled > 0 { out.append(UInt8(ascii: "-")) }
        writeDigits(scaled / 1000, into: &out)
        var fraction = scaled % 1000
        guard fraction > 0 else { return }
        out.append(UInt8(ascii: "."))
        var divisor: UInt64 = 100  // the first fraction digit's place, then the next
        while fraction > 0 {
            out.append(UInt8(ascii: "0") + UInt8(fraction / divisor))
            fraction %= divisor
            divisor /= 10
        }
    }

    /// Digits written in place (token counts and timestamps are in every response and chunk): last digit
    /// first into a buffer on the stack, then appended in one go.
    private static func writeDigits(_ magnitude: UInt64, into out: inout [UInt8]) {
        if magnitude < 10 { return out.append(UInt8(ascii: "0") + UInt8(magnitude)) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in  // UInt64.max has 20
            var start = digits.count
            var rest = magnitude
            while rest > 0 {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            out.appendBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: digits[start...])))
        }
    }

    public static func writeString(_ text: String, into out: inout [UInt8]) {
        // A native string is read where it is; only another kind is copied into one (`withUTF8` needs a `var`,
        // which cost a retain and a release of every string written).
        guard text.utf8.withContiguousStorageIfAvailable({ writeString(utf8: $0, into: &out) }) != nil else {
            var copy = text
            return copy.withUTF8 { writeString(utf8: $0, into: &out) }
        }
    }

    private static func writeString(utf8 bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        // Copy runs that need no escaping in one go (found eight bytes at a time); most text has no byte
        // to escape at all, and is written with its quotes in one copy.
        var special = JSONParser.endOfPlainRun(in: bytes, from: 0)
        guard special < bytes.count else {
            return out.appendBytes(count: bytes.count + 2) { to in
                to.storeBytes(of: UInt8(ascii: "\""), as: UInt8.self)
                if let text = bytes.baseAddress { (to + 1).copyMemory(from: text, byteCount: bytes.count) }
                to.storeBytes(of: UInt8(ascii: "\""), toByteOffset: bytes.count + 1, as: UInt8.self)
            }
        }
        out.append(UInt8(ascii: "\""))
        var runStart = 0
        while true {
            out.appendBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[runStart..<special])))
            guard special < bytes.count else { break }
            let byte = bytes[special]
            switch byte {
            case 0x22: out.appendBytes("\\\"")
            case 0x5C: out.appendBytes("\\\\")
            case 0x0A: out.appendBytes("\\n")
            case 0x0D: out.appendBytes("\\r")
            case 0x09: out.appendBytes("\\t")
            default:
                out.appendBytes("\\u00")
                out.append(ASCII.hexDigit(byte >> 4))
                out.append(ASCII.hexDigit(byte & 0xF))
            }
            runStart = special + 1
            special = JSONParser.endOfPlainRun(in: bytes, from: runStart)
        }
        out.append(UInt8(ascii: "\""))
    }
}
