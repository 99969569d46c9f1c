/// Checks client API keys (`auth.api_keys`): none configured means no authentication.
public struct Authenticator: Sendable {
    private let keys: [[UInt8]]

    public init(keys: [String]) {
        self.keys = keys.map { Array($0.utf8) }
    }

    public var isEnabled: Bool { !keys.isEmpty }

    /// The client's key from `authorization: Bearer <key>`, when it is one of the configured keys.
    public func authenticate(authorization: String?) throws(GatewayError) -> String? {
        guard isEnabled else { return Self.bearer(authorization) }
        guard let presented = Self.bearer(authorization) else {
            throw GatewayError(.unauthenticated, "an API key is required: send authorization: Bearer <key>")
        }
        let bytes = Array(presented.utf8)
        // Compare against every key, whole length, so timing reveals neither which key nor how much matched.
        var matched = false
        for key in keys { matched = Self.constantTimeEqual(key, bytes) || matched }
        guard matched else { throw GatewayError(.unauthenticated, "the API key is not valid") }
        return presented
    }

    static func bearer(_ header: String?) -> String? {
        guard let header, header.count > 7, header.lowercased().hasPrefix("bearer ") else { return nil }
        return String(header.dropFirst(7))
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
