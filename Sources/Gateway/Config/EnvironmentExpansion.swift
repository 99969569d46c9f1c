import Glibc

/// Expands `${VAR}` and `${VAR:-default}` in configuration values from the environment.
public enum EnvironmentExpansion {
    /// Why a value could not be expanded.
    public struct Failure: Error, Equatable {
        public var reason: String
    }

    /// `lookup` defaults to the process environment; tests pass their own.
    public static func expand(_ text: String, lookup: (String) -> String? = environment) throws(Failure) -> String {
        guard text.contains("${") else { return text }
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw Failure(reason: "unterminated ${ in \"\(text)\"")
            }
            let expression = rest[start.upperBound..<end]
            if let separator = expression.range(of: ":-") {
                let name = String(expression[..<separator.lowerBound])
                try validate(name, in: text)
                let value = lookup(name) ?? ""
                out += value.isEmpty ? String(expression[separator.upperBound...]) : value
            } else {
                let name = String(expression)
                try validate(name, in: text)
                out += lookup(name) ?? ""
            }
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }

    private static func validate(_ name: String, in text: String) throws(Failure) {
        let valid =
            !name.isEmpty
            && name.utf8.allSatisfy { byte in
                byte == UInt8(ascii: "_") || (byte >= 0x30 && byte <= 0x39)
                    || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
            }
        if !valid { throw Failure(reason: "invalid variable name \"\(name)\" in \"\(text)\"") }
    }

    public static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

/// Loads a `.env` file: `KEY=value` lines, `#` comments, optional `export` and quotes. Variables already in
/// the environment win.
public enum DotEnv {
    public static func parse(_ text: String) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for rawLine in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            var line = rawLine.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst(7) }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingWhitespace()
            var value = line[line.index(after: equals)...].trimmingWhitespace()
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = value.dropFirst().dropLast()
            } else if let hash = value.range(of: " #") {
                value = value[..<hash.lowerBound].trimmingWhitespace()
            }
            if !key.isEmpty { pairs.append((String(key), String(value))) }
        }
        return pairs
    }

    /// Reads `path` if it exists and sets each variable not already set.
    public static func load(path: String) {
        guard let text = try? readFile(path) else { return }
        for (key, value) in parse(text) { setenv(key, value, 0) }
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var slice = self
        while slice.first == " " || slice.first == "\t" { slice.removeFirst() }
        while slice.last == " " || slice.last == "\t" { slice.removeLast() }
        return slice
    }
}

/// Why a file could not be read.
public struct FileReadError: Error, CustomStringConvertible {
    public var description: String
}

/// Reads a whole file as UTF-8.
public func readFile(_ path: String) throws -> String {
    guard let file = fopen(path, "rb") else {
        throw FileReadError(description: "cannot read \(path): \(String(cString: strerror(errno)))")
    }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count <= 0 { break }
        bytes.append(contentsOf: buffer[0..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
}
