internal import CCurl
import Reactor

/// Provider URLs parsed once by curl, handed to each transfer as `CURLOPT_CURLU`: curl otherwise parses the
/// URL string of every request and renders it back (~10 k instructions a request), though a gateway sends
/// to a handful of URLs over and over.
///
/// Memory: each `CURLU` is made here and never freed (the table is bounded and lives as long as the process);
/// curl only reads it (it works on its own copy per transfer), so transfers on every loop share it.
final class ParsedURLs: @unchecked Sendable {
    /// Past 256 distinct URLs (a configuration with that many endpoints) the rest are parsed per request.
    static let shared = ParsedURLs(capacity: 256)

    private let capacity: Int
    private let table = Locked<Table>(Table())

    /// The parsed URLs by URL, and the one found last: a gateway sends mostly to the same URL as the request
    /// before, and comparing it costs a few instructions where hashing it costs a few hundred.
    private struct Table {
        var byURL: [String: UInt] = [:]
        var last: (url: String, address: UInt)?
    }

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The parsed form of `url` (its address, for `CURLOPT_CURLU`); nil when it cannot be parsed or the table
    /// is full, and curl then parses the URL string itself.
    func parsed(_ url: String) -> UnsafeMutableRawPointer? {
        table.withLock { table in
            if let last = table.last, last.url == url { return UnsafeMutableRawPointer(bitPattern: last.address) }
            if let address = table.byURL[url] {
                table.last = (url, address)
                return UnsafeMutableRawPointer(bitPattern: address)
            }
            guard table.byURL.count < capacity, let handle = curl_url() else { return nil }
            // The flags curl itself parses a URL string with.
            let flags = UInt32(CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME)
            guard curl_url_set(handle, CURLUPART_URL, url, flags) == CURLUE_OK else {
                curl_url_cleanup(handle)
                return nil
            }
            let address = UInt(bitPattern: UnsafeMutableRawPointer(handle))
            table.byURL[url] = address
            table.last = (url, address)
            return UnsafeMutableRawPointer(bitPattern: address)
        }
    }
}
