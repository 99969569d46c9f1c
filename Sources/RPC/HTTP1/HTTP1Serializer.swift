/// Writes HTTP/1.1 response heads and chunked framing.
enum HTTP1Serializer {
    static func reasonPhrase(_ status: Int) -> String {
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
        default: "Status \(status)"
        }
    }

    /// The status line and headers; `bodyLength` nil means the body is sent chunked.
    static func head(_ head: ResponseHead, bodyLength: Int?, close: Bool) -> [UInt8] {
        var text = "HTTP/1.1 \(head.status) \(reasonPhrase(head.status))\r\n"
        for (name, value) in head.headers
        where name != "content-length" && name != "transfer-encoding" && name != "connection" {
            text += "\(name): \(value)\r\n"
        }
        if let bodyLength {
            text += "content-length: \(bodyLength)\r\n"
        } else {
            text += "transfer-encoding: chunked\r\n"
        }
        if close { text += "connection: close\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    static func chunk(_ bytes: [UInt8]) -> [UInt8] {
        var out = Array((String(bytes.count, radix: 16) + "\r\n").utf8)
        out.reserveCapacity(out.count + bytes.count + 2)
        out.append(contentsOf: bytes)
        out.append(contentsOf: [0x0D, 0x0A])
        return out
    }

    static func lastChunk(trailers: HTTPFields) -> [UInt8] {
        var text = "0\r\n"
        for (name, value) in trailers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }
}
