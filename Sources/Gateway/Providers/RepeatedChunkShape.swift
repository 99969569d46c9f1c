import Glibc

/// The bytes around the one string that changes from one streamed chunk to the next, learnt from a chunk
/// that was read in full, so that the next chunks of that shape are read with two comparisons and one scan.
///
/// A provider's text chunks differ only in their text: vLLM's
/// `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,
/// "delta":{"content":"…"},"logprobs":null,"finish_reason":null}]}` repeats every byte but the content's.
/// A chunk whose bytes before and after its text equal the learnt chunk's, and whose text is plain (no
/// escape, no quote, no control byte), parses exactly as the learnt chunk did with that text in place —
/// JSON is context-free and a plain string is one token — so it needs no reading. Anything else (another
/// shape, an escape in the text) is read in full, and may be learnt in its turn.
struct RepeatedChunkShape {
    /// Up to and including the text's opening quote.
    private var prefix: [UInt8] = []
    /// From the text's closing quote to the end.
    private var suffix: [UInt8] = []
    private var learnings = 0

    /// A stream learns a few shapes (the first chunk often carries the role as well); past that, one whose
    /// chunks all differ (a per-chunk nonce) stops paying for copies that never match.
    private static let maxLearnings = 4

    /// Learns `bytes` as the shape; `text` is the byte range of the string, quotes included, that may differ.
    mutating func learn(_ bytes: UnsafeBufferPointer<UInt8>, text: Range<Int>) {
        guard learnings < Self.maxLearnings, text.count >= 2, text.lowerBound >= 0, text.upperBound <= bytes.count,
            !matches(bytes, textStart: text.lowerBound + 1, textEnd: text.upperBound - 1)
        else { return }
        learnings += 1
        prefix = Array(bytes[..<(text.lowerBound + 1)])
        suffix = Array(bytes[(text.upperBound - 1)...])
    }

    /// The text of a chunk of the learnt shape; nil when `bytes` is not one, or its text is not plain.
    func text(of bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard bytes.count >= prefix.count + suffix.count else { return nil }
        let end = bytes.count - suffix.count
        guard matches(bytes, textStart: prefix.count, textEnd: end),
            JSONParser.endOfPlainRun(in: bytes, from: prefix.count) == end
        else { return nil }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[prefix.count..<end]), as: UTF8.self)
    }

    /// Whether the bytes before `textStart` are the prefix and those from `textEnd` the suffix.
    private func matches(_ bytes: UnsafeBufferPointer<UInt8>, textStart: Int, textEnd: Int) -> Bool {
        guard !prefix.isEmpty, textStart == prefix.count, bytes.count - textEnd == suffix.count,
            let base = bytes.baseAddress
        else { return false }
        return memcmp(base, prefix, prefix.count) == 0 && memcmp(base + textEnd, suffix, suffix.count) == 0
    }
}
