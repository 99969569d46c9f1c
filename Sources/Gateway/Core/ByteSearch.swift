/// Substring search over UTF-8 bytes in linear time (Knuth–Morris–Pratt), for searches where both the
/// text and the pattern come from a client and may be megabytes long.
enum ByteSearch {
    /// The UTF-8 offset of the first occurrence of `needle` in `haystack`, if any.
    static func firstOffset(of needle: String, in haystack: Substring) -> Int? {
        let pattern = Array(needle.utf8)
        guard !pattern.isEmpty else { return 0 }
        // failure[i]: the length of the longest proper prefix of pattern[0...i] that is also its suffix.
        var failure = [Int](repeating: 0, count: pattern.count)
        var matched = 0
        for index in 1..<pattern.count {
            while matched > 0, pattern[index] != pattern[matched] { matched = failure[matched - 1] }
            if pattern[index] == pattern[matched] { matched += 1 }
            failure[index] = matched
        }
        matched = 0
        for (offset, byte) in haystack.utf8.enumerated() {
            while matched > 0, byte != pattern[matched] { matched = failure[matched - 1] }
            if byte == pattern[matched] { matched += 1 }
            if matched == pattern.count { return offset + 1 - pattern.count }
        }
        return nil
    }
}
