/// A configuration problem: the file, the key path (`providers[1].timeout_s`), the line, and the reason.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var path: String
    public var line: Int?
    public var reason: String

    public var description: String {
        let location = line.map { " (line \($0))" } ?? ""
        return path.isEmpty ? "\(file)\(location): \(reason)" : "\(file): \(path)\(location): \(reason)"
    }
}
