import Glibc

/// The bytes around the strings that change from one streamed chunk to the next, learnt from a chunk that
/// was read in full, so that the next chunks of that shape are read with a few comparisons and scans.
///
/// A provider's text chunks differ only in a string or two: vLLM's
/// `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,
/// "delta":{"content":"…"},"logprobs":null,"finish_reason":null}]}` repeats every byte but the content's;
/// Ollama's lines also change their `created_at`. The strings that may change are the shape's holes: one
/// is the text, the others are strings the translator does not read. A chunk made of the learnt bytes with
/// a plain string (no escape, quote or control byte) in each hole parses exactly as the learnt chunk did,
/// with those strings in place — JSON is context-free and a plain string is one token — so it needs no
/// reading. Anything else (another shape, an escape) is read in full, and may be learnt in its turn.
struct RepeatedChunkShape {
    /// The bytes between the holes: the first ends with a hole's opening quote, the next ones start with a
    /// closing quote, and the last runs to the end of the chunk.
    private var pieces: [[UInt8]] = []
    /// Which hole holds the text.
    private var textHole = 0
    private var learnings = 0
    /// False for a shape that never learns, so every chunk is read in full (tests compare the two).
    private let learns: Bool

    init(learns: Bool = true) {
        self.learns = learns
    }

    /// Whether `learn` would still take a shape (a caller that must work to find the holes asks first).
    var isLearning: Bool { learns && learnings < Self.maxLearnings }

    /// A stream learns a few shapes (the first chunk often carries the role as well); past that, one whose
    /// chunks all differ otherwise (a per-chunk nonce) stops paying for copies that never match.
    private static let maxLearnings = 4

    /// Learns `bytes` as the shape. `holes` are the byte ranges, quotes included, of the strings that may
    /// differ, in document order; `text` is the one that holds the text.
    mutating func learn(_ bytes: UnsafeBufferPointer<UInt8>, holes: [Range<Int>], text: Int) {
        guard isLearning, holes.indices.contains(text), holes.allSatisfy({ $0.count >= 2 }),
            zip(holes, holes.dropFirst()).allSatisfy({ $0.upperBound <= $1.lowerBound }),
            let first = holes.first, let last = holes.last, first.lowerBound >= 0, last.upperBound <= bytes.count
        else { return }
        var start = 0
        var learnt = holes.map { hole in
            defer { start = hole.upperBound - 1 }
            return Array(bytes[start...hole.lowerBound])
        }
        learnt.append(Array(bytes[start...]))
        guard learnt != pieces || text != textHole else { return }  // the shape it has (an escape missed it)
        learnings += 1
        (pieces, textHole) = (learnt, text)
    }

    /// Reads a chunk of the learnt shape: appends its text as a delta (none when empty), and returns true;
    /// false, with nothing appended, when `bytes` is not one (the caller reads it in full).
    @inline(__always)
    func read(_ bytes: UnsafeBufferPointer<UInt8>, into events: inout [ProviderEvent]) -> Bool {
        guard let text = text(of: bytes) else { return false }
        if !text.isEmpty { events.append(.delta(text)) }
        return true
    }

    /// The text of a chunk of the learnt shape; nil when `bytes` is not one, or a hole's string is not plain.
    func text(of bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard let base = bytes.baseAddress, let last = pieces.last else { return nil }
        var at = 0
        var text = 0..<0
        for (hole, piece) in pieces.dropLast().enumerated() {
            guard at + piece.count <= bytes.count, memcmp(base + at, piece, piece.count) == 0 else { return nil }
            let end = JSONParser.endOfPlainRun(in: bytes, from: at + piece.count)
            if hole == textHole { text = at + piece.count..<end }
            at = end  // the next piece starts with the closing quote, or does not match
        }
        guard at + last.count == bytes.count, memcmp(base + at, last, last.count) == 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[text]), as: UTF8.self)
    }
}
