import Reactor

/// Writes HTTP/1.1 response heads and chunked framing.
enum HTTP1Serializer {
    /// The reason phrase of a status this server sends; nil for others, which say "Status" and the code.
    static func reasonPhrase(_ status: Int) -> StaticString? {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: nil
        }
    }

    // Built byte by byte, not through string interpolation: this runs for every response and every chunk.

    /// The status line and headers; `bodyLength` nil means the body is sent chunked.
    static func head(_ head: ResponseHead, bodyLength: Int?, close: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        appendHead(head, bodyLength: bodyLength, close: close, to: &out)
        return out
    }

    /// Appends the status line and headers: a response's head goes straight into the connection's outbound
    /// buffer, with no array of its own.
    static func appendHead(_ head: ResponseHead, bodyLength: Int?, close: Bool, to out: inout [UInt8]) {
        out.appendBytes("HTTP/1.1 ")
        appendDecimal(head.status, to: &out)
        out.append(0x20)
        if let phrase = reasonPhrase(head.status) {
            out.appendBytes(phrase)
        } else {
            out.appendBytes("Status ")
            appendDecimal(head.status, to: &out)
        }
        out.appendBytes("\r\n")
        for (name, value) in head.headers where !isFraming(name) {
            appendField(name, value, to: &out)
        }
        if let bodyLength {
            out.appendBytes("content-length: ")
            appendDecimal(bodyLength, to: &out)
            out.appendBytes("\r\n")
        } else {
            out.appendBytes("transfer-encoding: chunked\r\n")
        }
        if close { out.appendBytes("connection: close\r\n") }
        out.appendBytes("\r\n")
    }

    static func chunk(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 20)
        appendChunk(bytes, to: &out)
        return out
    }

    /// Appends `bytes` framed as one chunk: a stream's body goes straight into the connection's outbound
    /// buffer, with no framed copy of its own.
    static func appendChunk(_ bytes: [UInt8], to out: inout [UInt8]) {
        var shift = (Int.bitWidth - bytes.count.leadingZeroBitCount + 3) / 4 * 4
        if shift == 0 { shift = 4 }
        while shift > 0 {
            shift -= 4
            out.append(hexDigits[(bytes.count >> shift) & 0xF])
        }
        // CR LF a byte at a time: appending the two-byte array cost ~100 instructions, twice per chunk.
        out.append(0x0D)
        out.append(0x0A)
        out.append(contentsOf: bytes)
        out.append(0x0D)
        out.append(0x0A)
    }

    /// Appends what `encode` appends, framed as one chunk, with no copy: the size line is reserved before
    /// the bytes are written and filled in after, with leading zeros (`chunk-size = 1*HEXDIG`, RFC 9112
    /// 7.1), as four digits unless the chunk needs more. Nothing is appended when `encode` appends nothing:
    /// a chunk of size 0 would end the body.
    static func appendChunk(encodedBy encode: (inout [UInt8]) -> Void, to out: inout [UInt8]) {
        let sizeStart = out.count
        // Byte by byte: a static array of these six cost a lazy-initialisation check and a retain.
        for _ in 0..<reservedDigits { out.append(UInt8(ascii: "0")) }
        out.append(0x0D)
        out.append(0x0A)
        let dataStart = out.count
        encode(&out)
        let size = out.count - dataStart
        if size == 0 { return out.removeLast(reservedDigits + 2) }
        var digits = reservedDigits
        while size >> (4 * digits) != 0 { digits += 1 }
        if digits > reservedDigits {
            // Over 64 KiB: the rare chunk this large moves once to make room for its longer size.
            out.insert(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits - reservedDigits), at: sizeStart)
        }
        out.withUnsafeMutableBufferPointer { bytes in
            var rest = size
            for index in (sizeStart..<sizeStart + digits).reversed() {
                let digit = UInt8(truncatingIfNeeded: rest & 0xF)
                bytes[index] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") - 10 + digit
                rest >>= 4
            }
        }
        out.append(0x0D)
        out.append(0x0A)
    }

    private static let reservedDigits = 4

    static func lastChunk(trailers: HTTPFields) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "0"), 0x0D, 0x0A]
        for (name, value) in trailers { appendField(name, value, to: &out) }
        out.appendBytes("\r\n")
        return out
    }

    /// The fields this serializer writes itself. Most names start with neither letter and are not compared
    /// at all (three string comparisons per field were ~150 instructions).
    private static func isFraming(_ name: String) -> Bool {
        switch name.utf8.first {
        case UInt8(ascii: "c"): name == "content-length" || name == "connection"
        case UInt8(ascii: "t"): name == "transfer-encoding"
        default: false
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func appendField(_ name: String, _ value: String, to out: inout [UInt8]) {
        out.appendUTF8(name)
        out.appendBytes(": ")
        out.appendUTF8(value)
        out.appendBytes("\r\n")
    }

    private static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }
}
