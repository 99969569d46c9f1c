/// Checks client API keys (`auth.api_keys` and the named `auth.keys`): none configured means no
/// authentication.
public struct Authenticator: Sendable {
    /// Who a request authenticated as.
    public struct Client: Sendable, Equatable {
        public var key: String
        /// The named key's name; nil for a plain `api_keys` entry.
        public var name: String?
        /// Model names or aliases the key may ask for; nil for all.
        public var models: [String]?
        public var rateLimit: RateLimit?
        public var budget: Budget?

        /// How usage, logs and traces name the client: its key's name, or a short id of the key.
        public var label: String { name ?? UsageLedger.keyID(key) }
    }

    private let keys: [(bytes: [UInt8], client: Client)]

    public init(keys: [String], named: [NamedKey] = []) {
        self.keys =
            keys.map { (Array($0.utf8), Client(key: $0)) }
            + named.map {
                (
                    Array($0.key.utf8),
                    Client(key: $0.key, name: $0.name, models: $0.models, rateLimit: $0.rateLimit, budget: $0.budget)
                )
            }
    }

    public var isEnabled: Bool { !keys.isEmpty }

    /// The client of `authorization: Bearer <key>` when the key is configured; with no keys configured, a
    /// presented key is taken as is (for per-key usage and limits).
    public func authenticate(authorization: String?) throws(GatewayError) -> Client? {
        guard isEnabled else { return Self.bearer(authorization).map { Client(key: $0) } }
        guard let presented = Self.bearer(authorization) else {
            throw GatewayError(.unauthenticated, "an API key is required: send authorization: Bearer <key>")
        }
        let bytes = Array(presented.utf8)
        // Compare against every key, whole length, so timing reveals neither which key nor how much matched.
        var matched: Client?
        for entry in keys where Self.constantTimeEqual(entry.bytes, bytes) { matched = matched ?? entry.client }
        guard let matched else { throw GatewayError(.unauthenticated, "the API key is not valid") }
        return matched
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
