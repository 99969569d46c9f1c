import Glibc
import Reactor

/// A serialized JSON document with one string left open, filled per use: a stream's text chunks are the same
/// object around a new piece of text, so they are written from bytes made once per stream instead of a
/// tree per chunk.
public struct JSONStringTemplate: Sendable {
    /// The string value a document puts where the text goes.
    public static let slot = JSON.string("\u{0}")
    private let prefix: [UInt8]
    private let suffix: [UInt8]

    /// The template of `document`, which holds `slot` once, written between `before` and `after` (an event
    /// stream's framing: kept in the template's own bytes, each chunk is three appends, not five); nil when
    /// the slot is not there exactly once (a caller then writes each document whole).
    public init?(_ document: JSON, before: String = "", after: String = "") {
        let bytes = JSONSerializer.serialize(document)
        guard let at = Self.marker(in: bytes, from: 0), Self.marker(in: bytes, from: at + Self.slotBytes.count) == nil
        else { return nil }
        prefix = Array(before.utf8) + bytes[..<at]
        suffix = bytes[(at + Self.slotBytes.count)...] + Array(after.utf8)
    }

    /// The slot as the serializer writes it.
    private static let slotBytes = Array(#""\u0000""#.utf8)

    /// Where the slot's bytes are in `bytes` at or after `start`. (A plain loop: the generic
    /// `firstRange(of:)` cost ~100 k instructions per stream, as much as half a unary request.)
    private static func marker(in bytes: [UInt8], from start: Int) -> Int? {
        bytes.withUnsafeBufferPointer { haystack in
            slotBytes.withUnsafeBufferPointer { needle in
                var at = start
                while at + needle.count <= haystack.count {
                    if haystack[at] == needle[0],
                        memcmp(haystack.baseAddress! + at, needle.baseAddress!, needle.count) == 0
                    {
                        return at
                    }
                    at += 1
                }
                return nil
            }
        }
    }

    /// The document with `text` in the slot.
    public func write(_ text: String, into out: inout [UInt8]) {
        prefix.withUnsafeBytes { out.appendBytes($0) }
        JSONSerializer.writeString(text, into: &out)
        suffix.withUnsafeBytes { out.appendBytes($0) }
    }
}
