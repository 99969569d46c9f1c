import Glibc

/// The generic server's own reports (it has no logger of the product's): one JSON line on standard error
/// per event, written whole, in the shape of the gateway's log lines.
enum ServerLog {
    static func error(_ message: String, _ detail: String) {
        let line = "{\"level\":\"error\",\"msg\":\(quoted(message)),\"detail\":\(quoted(detail))}\n"
        let bytes = Array(line.utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    /// A JSON string literal of `text`.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case _ where scalar.value < 0x20:
                out +=
                    "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
