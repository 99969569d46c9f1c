extension [UInt8] {
    /// Appends `count` bytes that `write` stores, from the pointer it is given, in capacity grown the way
    /// `append` grows it; `write` must store exactly `count` bytes.
    ///
    /// For the few bytes the JSON and HTTP/1.1 writers append dozens of times per request (a key, a literal,
    /// a header field): `append(contentsOf:)` of a buffer goes through the generic sequence copy, ~125
    /// instructions for a handful of bytes, and this is one capacity check and a `memcpy`.
    @inlinable
    public mutating func appendBytes(count: Int, _ write: (UnsafeMutableRawPointer) -> Void) {
        guard count > 0 else { return }
        append(addingCapacity: count) { out in
            out.withUnsafeMutableBufferPointer { buffer, initialized in
                write(UnsafeMutableRawPointer(buffer.baseAddress! + initialized))
                initialized += count
            }
        }
    }

    /// Appends `bytes` in one copy (see `appendBytes(count:_:)`).
    @inlinable
    public mutating func appendBytes(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress else { return }
        appendBytes(count: bytes.count) { $0.copyMemory(from: source, byteCount: bytes.count) }
    }

    /// Appends a literal's bytes in one copy (see `appendBytes(count:_:)`).
    @inlinable
    public mutating func appendBytes(_ literal: StaticString) {
        literal.withUTF8Buffer { appendBytes(UnsafeRawBufferPointer($0)) }
    }

    /// Appends a string's UTF-8 bytes in one copy (see `appendBytes(count:_:)`). A native string is read
    /// where it is; `withUTF8` alone needs a `var`, a retain and a release of every string.
    @inlinable
    public mutating func appendUTF8(_ string: String) {
        let appended: Void? = string.utf8.withContiguousStorageIfAvailable { appendBytes(UnsafeRawBufferPointer($0)) }
        guard appended == nil else { return }
        var copy = string
        copy.withUTF8 { appendBytes(UnsafeRawBufferPointer($0)) }
    }
}
