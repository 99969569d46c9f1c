import Yams

/// A node of the configuration file with its key path, read with strict types and `${VAR}` expansion.
struct ConfigNode {
    let node: Node?
    let path: String
    let file: String

    func error(_ reason: String) -> ConfigError {
        ConfigError(file: file, path: path, line: node?.mark.map { $0.line }, reason: reason)
    }

    private func child(_ node: Node?, _ suffix: String) -> ConfigNode {
        ConfigNode(
            node: node, path: path.isEmpty ? suffix : (suffix.hasPrefix("[") ? path + suffix : "\(path).\(suffix)"),
            file: file)
    }

    /// True when the key is absent or its value is empty (`key:` or `~`).
    var isMissing: Bool {
        guard let node else { return true }
        if case .scalar(let scalar) = node {
            return scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null"
        }
        return false
    }

    /// The mapping's entries; any key outside `allowed` is an error naming it.
    func mapping(allowed: Set<String>) throws(ConfigError) -> [String: ConfigNode] {
        guard let node, !isMissing else { return [:] }
        guard case .mapping(let mapping) = node else { throw error("expected a mapping") }
        var result: [String: ConfigNode] = [:]
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else { throw error("keys must be strings") }
            let name = scalar.string
            guard allowed.contains(name) else {
                throw child(key, name).error("unknown key (allowed: \(allowed.sorted().joined(separator: ", ")))")
            }
            guard result[name] == nil else { throw child(key, name).error("duplicate key") }
            result[name] = child(value, name)
        }
        return result
    }

    func sequence() throws(ConfigError) -> [ConfigNode] {
        guard let node, !isMissing else { return [] }
        guard case .sequence(let sequence) = node else { throw error("expected a list") }
        return sequence.enumerated().map { child($0.element, "[\($0.offset)]") }
    }

    func string() throws(ConfigError) -> String {
        guard let node else { return "" }
        guard case .scalar(let scalar) = node else { throw error("expected a string") }
        if isMissing { return "" }
        do {
            return try EnvironmentExpansion.expand(scalar.string)
        } catch {
            throw self.error(error.reason)
        }
    }

    func int(in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let text = try string()
        guard let value = Int(text) else { throw error("expected an integer, got \"\(text)\"") }
        guard range.contains(value) else {
            throw error("\(value) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func double(in range: ClosedRange<Double>) throws(ConfigError) -> Double {
        let text = try string()
        guard let value = Double(text), value.isFinite else { throw error("expected a number, got \"\(text)\"") }
        guard range.contains(value) else {
            throw error("\(value) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func bool() throws(ConfigError) -> Bool {
        switch try string().lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        case let other: throw error("expected true or false, got \"\(other)\"")
        }
    }

    /// A list of strings: a YAML list, or one comma-separated string (so one `${VAR}` can hold a list).
    func stringList() throws(ConfigError) -> [String] {
        if case .sequence = node {
            var values: [String] = []
            for item in try sequence() { values.append(try item.string()) }
            return values
        }
        return try string().split(separator: ",").map { String($0.trimmingWhitespace()) }.filter { !$0.isEmpty }
    }

    func oneOf<T: RawRepresentable>(_: T.Type) throws(ConfigError) -> T where T.RawValue == String, T: CaseIterable {
        let text = try string()
        guard let value = T(rawValue: text) else {
            throw error("\"\(text)\" is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
}
