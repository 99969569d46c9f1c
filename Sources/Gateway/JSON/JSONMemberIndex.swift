/// An object document's members found in one pass — each key, and where its value stands — with no value
/// built until a reader asks for it: the reading of request bodies, where most fields a client may send
/// are absent and building the body's tree cost more than reading the few that are there.
///
/// It takes exactly the documents `JSONParser.parse` takes: `JSONReader` checks syntax and nesting as it
/// walks, and the whole body is checked for UTF-8 (outside strings JSON is ASCII, which the walk checks). A
/// body it refuses can go to the parser, for the parser's own words on what is wrong.
package struct JSONMemberIndex: Sendable {
    private struct Member: Sendable {
        let key: String
        /// The key's length in UTF-8 bytes: most keys looked for are told apart by it alone.
        let length: Int
        let value: Range<Int>
    }

    private let bytes: [UInt8]
    private var members: [Member] = []

    /// Nil when `body` is not JSON, or is JSON but not an object.
    package init?(_ body: [UInt8]) {
        bytes = body
        guard body.withUnsafeBufferPointer(UTF8Validation.isValid) else { return nil }
        var found: [Member] = []
        found.reserveCapacity(16)  // grown one member at a time, it was reallocated three or four times
        do {
            try JSONReader.read(body) { reader in
                guard reader.kind == .object else { throw JSONParseError(message: "not an object", offset: 0) }
                try reader.members { value, key in
                    let start = value.offset
                    try value.skip()
                    let text = key.text
                    found.append(Member(key: text, length: text.utf8.count, value: start..<value.offset))
                }
            }
        } catch {
            return nil
        }
        members = found
    }

    /// The value of the member called `field`, read now; nil when there is none. Of a repeated key the last
    /// counts, as `JSONParser` keeps it.
    package func value(_ field: String) -> JSON? {
        let length = field.utf8.count
        var position = members.count
        while position > 0 {
            position -= 1
            let member = members[position]
            guard member.length == length, JSONObject.sameKey(member.key, field) else { continue }
            // Cannot fail: `init` walked and checked these very bytes.
            return bytes.withUnsafeBufferPointer { try? JSONParser.parse($0, member.value) }
        }
        return nil
    }
}
