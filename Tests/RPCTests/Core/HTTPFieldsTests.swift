import Testing

@testable import RPC

@Suite struct HTTPFieldsTests {
    @Test(arguments: [
        ("Content-Type", "content-type"), ("x-request-id", "x-request-id"), ("HOST", "host"), ("", ""),
        ("Ünïcode-Name", "ünïcode-name"),
    ])
    func namesAreLowerCased(name: String, lowered: String) {
        #expect(HTTPFields.lowercase(name) == lowered)
    }

    @Test func lookupsIgnoreCase() {
        var fields: HTTPFields = ["Content-Type": "application/json"]
        fields.append("X-Trace", "a")
        fields.append("x-trace", "b")
        #expect(fields["content-type"] == "application/json")
        #expect(fields["CONTENT-TYPE"] == "application/json")
        #expect(fields.values("X-TRACE") == ["a", "b"])
        fields.set("x-Trace", "c")
        #expect(fields.values("x-trace") == ["c"])
    }

    @Test func removeDropsEveryFieldOfTheNameAndNothingElse() {
        var fields: HTTPFields = ["Connection": "keep-alive", "content-type": "text/plain"]
        fields.append("connection", "upgrade")
        fields.remove("CONNECTION")
        #expect(fields.entries.map(\.name) == ["content-type"])
        fields.remove("transfer-encoding")
        #expect(fields.entries == [HTTPFields.Field(name: "content-type", value: "text/plain")])
    }
}
