internal import CHTTPParser
import Reactor

/// A request head as the HTTP/1.1 parser saw it.
struct HTTP1RequestHead {
    var method: String
    var target: String
    var headers: HTTPFields
    var keepAlive: Bool
    /// The declared body length; nil for chunked bodies or none.
    var contentLength: UInt64?
}

/// Receives what the HTTP/1.1 parser finds, in order.
protocol HTTP1ParserDelegate: AnyObject {
    func parserBeganMessage()
    func parserParsedHead(_ head: HTTP1RequestHead)
    func parserCompletedMessage(body: [UInt8])
}

/// Why a request could not be parsed, with the status the server answers.
struct HTTP1ParseError: Error, Equatable {
    var status: Int
    var reason: String
}

/// Parses pipelined HTTP/1.1 requests with Debian's `http_parser` (2.9.x): strict on request smuggling
/// (Content-Length with Transfer-Encoding, duplicate lengths, bad chunk sizes are errors), bounded head size.
///
/// Memory: the parser and settings structs live in memory this object allocates and frees, so callbacks
/// may read the parser while `http_parser_execute` runs. The parser points into each input buffer only
/// during `feed`: a head part may point there until it is read and cleared, and one still pointing there
/// when `feed` returns is copied (`HeadBytes.keep`); the body is copied as it comes. `parser.data` is an
/// unretained pointer to `self`, valid because every callback runs inside `feed`.
final class HTTP1Parser {
    private let parser = UnsafeMutablePointer<http_parser>.allocate(capacity: 1)
    private let settings = UnsafeMutablePointer<http_parser_settings>.allocate(capacity: 1)
    /// Unowned, not weak: the connection owns its parser and is the only caller of `feed`, so it outlives
    /// every callback; and a weak reference would give the connection a side table, which makes every retain
    /// and release of it (several per streamed chunk) take the runtime's slow path.
    private unowned let delegate: HTTP1ParserDelegate
    private let maxHeadBytes: Int
    private let maxBodyBytes: Int

    private var url = HeadBytes()
    private var field = HeadBytes()
    private var value = HeadBytes()
    private var headers = HTTPFields()
    private var inValue = false
    private var headBytes = 0
    private var headTooLarge = false
    private var headInvalid: String?
    private var versionUnsupported = false
    private var bodyTooLarge = false
    /// The input being parsed and the last bytes of the previous input, to look behind a header value.
    private var input: UnsafeRawBufferPointer?
    private var previousTail: [UInt8] = []
    private var body: [UInt8] = []

    /// Body bytes of the request being read, not yet handed to the delegate.
    var partialBodyBytes: Int { body.count }

    init(delegate: HTTP1ParserDelegate, maxHeadBytes: Int, maxBodyBytes: Int) {
        self.delegate = delegate
        self.maxHeadBytes = maxHeadBytes
        self.maxBodyBytes = maxBodyBytes
        parser.initialize(to: http_parser())
        settings.initialize(to: http_parser_settings())
        http_parser_init(parser, HTTP_REQUEST)
        settings.pointee.on_message_begin = { p in HTTP1Parser.owner(p).messageBegan() }
        settings.pointee.on_url = { p, at, length in HTTP1Parser.owner(p).appendHead(at, length, to: .url) }
        settings.pointee.on_header_field = { p, at, length in HTTP1Parser.owner(p).headerField(at, length) }
        settings.pointee.on_header_value = { p, at, length in HTTP1Parser.owner(p).headerValue(at, length) }
        settings.pointee.on_headers_complete = { p in HTTP1Parser.owner(p).headersComplete() }
        settings.pointee.on_body = { p, at, length in HTTP1Parser.owner(p).appendBody(at, length) }
        settings.pointee.on_message_complete = { p in HTTP1Parser.owner(p).messageComplete() }
    }

    deinit {
        parser.deallocate()
        settings.deallocate()
    }

    private static func owner(_ parser: UnsafeMutablePointer<http_parser>?) -> HTTP1Parser {
        Unmanaged<HTTP1Parser>.fromOpaque(parser!.pointee.data).takeUnretainedValue()
    }

    /// Parses `bytes`; every complete request is reported to the delegate before this returns.
    func feed(_ bytes: ArraySlice<UInt8>) -> Result<Void, HTTP1ParseError> {
        parser.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        let consumed = bytes.withUnsafeBytes { raw in
            input = raw
            defer {
                input = nil
                url.keep()
                field.keep()
                value.keep()
            }
            return http_parser_execute(
                parser, settings, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count)
        }
        // Kept in place: only the last 64 bytes matter, and copying each read whole would cost a read's size.
        previousTail.append(contentsOf: bytes.suffix(64))
        if previousTail.count > 64 { previousTail.removeFirst(previousTail.count - 64) }
        let errno = http_errno(rawValue: parser.pointee.http_errno)
        if errno == HPE_OK, consumed == bytes.count { return .success(()) }
        if headTooLarge || errno == HPE_HEADER_OVERFLOW {
            return .failure(HTTP1ParseError(status: 431, reason: "request header fields too large"))
        }
        if versionUnsupported {
            return .failure(HTTP1ParseError(status: 505, reason: "only HTTP/1.x is served on this connection"))
        }
        if let headInvalid { return .failure(HTTP1ParseError(status: 400, reason: headInvalid)) }
        if bodyTooLarge {
            return .failure(HTTP1ParseError(status: 413, reason: "request body larger than \(maxBodyBytes) bytes"))
        }
        let name = String(cString: http_errno_description(errno))
        return .failure(HTTP1ParseError(status: 400, reason: "malformed HTTP/1.1 request: \(name)"))
    }

    // MARK: callbacks (return 0 to go on, non-zero to stop with an error)

    private func messageBegan() -> Int32 {
        url.clear()
        headers = HTTPFields()
        field.clear()
        value.clear()
        inValue = false
        headBytes = 0
        body = []
        delegate.parserBeganMessage()
        return 0
    }

    private enum HeadPart { case url, field, value }

    /// (Not a key path: writing through one allocates on every call, and this runs for every header piece.)
    private func appendHead(_ at: UnsafePointer<CChar>?, _ length: Int, to part: HeadPart) -> Int32 {
        headBytes += length
        guard headBytes <= maxHeadBytes else { headTooLarge = true; return 1 }
        let piece = UnsafeRawBufferPointer(start: at, count: length)
        switch part {
        case .url: url.append(piece)
        case .field: field.append(piece)
        case .value: value.append(piece)
        }
        return 0
    }

    private func headerField(_ at: UnsafePointer<CChar>?, _ length: Int) -> Int32 {
        if inValue { finishField() }
        return appendHead(at, length, to: .field)
    }

    private func headerValue(_ at: UnsafePointer<CChar>?, _ length: Int) -> Int32 {
        // An empty value comes as a zero-length piece at the next line's start: no fold.
        if length > 0, isLineFoldContinuation(at) { headInvalid = "obsolete line folding in a header" }
        inValue = true
        return appendHead(at, length, to: .value)
    }

    /// http_parser joins an obs-fold continuation into the value; it shows as a value piece that starts
    /// right after a line break (and maybe whitespace), where a value's first piece follows `name:`.
    private func isLineFoldContinuation(_ at: UnsafePointer<CChar>?) -> Bool {
        guard let at, let input, let base = input.baseAddress else { return false }
        var offset = UnsafeRawPointer(at) - base
        func byte(_ index: Int) -> UInt8? {
            if index >= 0 { return input[index] }
            let tailIndex = previousTail.count + index
            return tailIndex >= 0 ? previousTail[tailIndex] : nil
        }
        while let previous = byte(offset - 1) {
            switch previous {
            case UInt8(ascii: " "), UInt8(ascii: "\t"): break
            case UInt8(ascii: "\n"): return true
            default: return false
            }
            offset -= 1
        }
        return false
    }

    private func finishField() {
        // Lower-cased as it is copied into the string: http_parser lets only ASCII token bytes into a name.
        let name = field.withBytes { name in
            KnownFieldNames.literal(for: Span(_unsafeBytes: name))
                ?? String(unsafeUninitializedCapacity: name.count) { out in
                    for index in name.indices {
                        out[index] = HTTPFields.lowercasedASCII(name[index])
                    }
                    return name.count
                }
        }
        let text = value.withBytes { value in
            // An obs-fold continuation reaches us as a value holding CR or LF: RFC 9112 lets a server reject it.
            if value.contains(where: { $0 == 0x0D || $0 == 0x0A }) { headInvalid = "obsolete line folding in a header" }
            var start = 0
            var end = value.count
            while end > start, value[end - 1] == 0x20 || value[end - 1] == 0x09 { end -= 1 }
            while start < end, value[start] == 0x20 || value[start] == 0x09 { start += 1 }
            return String(decoding: UnsafeRawBufferPointer(rebasing: value[start..<end]), as: UTF8.self)
        }
        headers.append(lowercased: name, text)
        field.clear()
        value.clear()
        inValue = false
    }

    /// From `on_headers_complete`, 0 goes on, 1 and 2 mean "no body"; anything else is an error.
    private static let headersCompleteError: Int32 = -1

    private func headersComplete() -> Int32 {
        if !field.isEmpty || inValue { finishField() }
        if headInvalid != nil { return HTTP1Parser.headersCompleteError }
        // http_parser reads any one-digit version; HTTP/2.0 or 9.9 in a request line is not HTTP/1.x.
        guard parser.pointee.http_major == 1 else {
            versionUnsupported = true
            return HTTP1Parser.headersCompleteError
        }
        let flags = UInt32(parser.pointee.flags)
        let chunked = flags & F_CHUNKED.rawValue != 0
        let hasLength = flags & F_CONTENTLENGTH.rawValue != 0
        let head = HTTP1RequestHead(
            method: String(cString: http_method_str(http_method(rawValue: UInt32(parser.pointee.method)))),
            target: url.withBytes { String(decoding: $0, as: UTF8.self) },
            headers: headers,
            keepAlive: http_should_keep_alive(parser) != 0,
            contentLength: !chunked && hasLength ? parser.pointee.content_length : nil
        )
        delegate.parserParsedHead(head)
        // Refuse a declared oversize body before reading it: the delegate sees the 413 before any 100 Continue.
        if let length = head.contentLength, length > UInt64(maxBodyBytes) {
            bodyTooLarge = true
            return HTTP1Parser.headersCompleteError
        }
        return 0
    }

    private func appendBody(_ at: UnsafePointer<CChar>?, _ length: Int) -> Int32 {
        guard body.count + length <= maxBodyBytes else { bodyTooLarge = true; return 1 }
        body.appendBytes(UnsafeRawBufferPointer(start: at, count: length))
        return 0
    }

    private func messageComplete() -> Int32 {
        let complete = body
        body = []
        delegate.parserCompletedMessage(body: complete)
        return 0
    }
}

/// A part of a request head being read (the target, a field's name or its value). A part that arrives in
/// one piece, as nearly all do, is read where it lies in the input; only a part split across two reads is
/// copied (an append and a clear per part cost ~230 instructions a header).
private struct HeadBytes {
    /// Into the input being parsed: valid only while `feed` runs, which `keep`s it before returning.
    private var piece: UnsafeRawBufferPointer?
    private var copied: [UInt8] = []

    var isEmpty: Bool { (piece?.count ?? 0) == 0 && copied.isEmpty }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if piece == nil, copied.isEmpty {
            piece = bytes
            return
        }
        keep()
        copied.appendBytes(bytes)
    }

    /// Copies the part out of the input, which is about to be gone.
    mutating func keep() {
        guard let piece else { return }
        copied.appendBytes(piece)
        self.piece = nil
    }

    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        if let piece { return body(piece) }
        return copied.withUnsafeBytes(body)
    }

    mutating func clear() {
        piece = nil
        if !copied.isEmpty { copied.removeAll(keepingCapacity: true) }
    }
}
