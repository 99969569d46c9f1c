/// Renders the answer to a request the server rejects before any handler sees it (malformed HTTP,
/// oversized head, header timeout), so every error a client sees has the shape the API documents.
public struct ProtocolErrorRenderer: Sendable {
    public var render: @Sendable (_ status: Int, _ message: String) -> (head: ResponseHead, body: [UInt8])

    public init(render: @escaping @Sendable (_ status: Int, _ message: String) -> (head: ResponseHead, body: [UInt8])) {
        self.render = render
    }

    /// Plain text: `<message>\n`.
    public static let plainText = ProtocolErrorRenderer { status, message in
        (
            ResponseHead(status: status, headers: ["content-type": "text/plain; charset=utf-8"]),
            Array("\(message)\n".utf8)
        )
    }
}
