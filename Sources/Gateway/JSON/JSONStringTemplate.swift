/// A serialized JSON document with one string left open, filled per use: a stream's text chunks are the same
/// object around a new piece of text, so they are written from bytes made once per stream instead of a
/// tree per chunk.
public struct JSONStringTemplate: Sendable {
    /// The string value a document puts where the text goes.
    public static let slot = JSON.string("\u{0}")
    private let prefix: [UInt8]
    private let suffix: [UInt8]

    /// The template of `document`, which holds `slot` once; nil when the slot is not there exactly once (a
    /// caller then writes each document whole).
    public init?(_ document: JSON) {
        let bytes = JSONSerializer.serialize(document)
        let marker = Array(#""\u0000""#.utf8)
        guard let at = bytes.firstRange(of: marker), bytes[at.upperBound...].firstRange(of: marker) == nil else {
            return nil
        }
        prefix = Array(bytes[..<at.lowerBound])
        suffix = Array(bytes[at.upperBound...])
    }

    /// The document with `text` in the slot.
    public func write(_ text: String, into out: inout [UInt8]) {
        out.append(contentsOf: prefix)
        JSONSerializer.writeString(text, into: &out)
        out.append(contentsOf: suffix)
    }
}
