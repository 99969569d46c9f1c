import Testing

@testable import Gateway

@Suite struct JSONTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONParser.parse(#" {"a": [1, -2.5e2, true, false, null], "b": {"c": "d"}, "e": ""} "#)
        #expect(value["a"] == [1, -250.0, true, false, nil])
        #expect(value["b"]?["c"]?.stringValue == "d")
        #expect(value["e"]?.stringValue == "")
        #expect(value.objectValue?.keys == ["a", "b", "e"])
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let value = try JSONParser.parse(#""q\"b\\s\/n\nt\tu\u00e9\ud83d\ude00""#)
        #expect(value.stringValue == "q\"b\\s/n\nt\tué😀")
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "+1", "tru", "\"abc", "\"\\x\"", "\"\\ud83d\"",
        "{'a':1}", "[1] 2", "\"a\u{01}b\"", "NaN", "1e999",
    ])
    func rejectsInvalidJSON(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
    }

    @Test func serializesCompactlyAndRoundTrips() throws {
        let value: JSON = ["text": "line\n\"q\" \u{01} é", "n": 3, "f": 0.25, "list": [true, nil], "empty": [:]]
        let text = JSONSerializer.string(value)
        #expect(text == #"{"text":"line\n\"q\" \u0001 é","n":3,"f":0.25,"list":[true,null],"empty":{}}"#)
        #expect(try JSONParser.parse(text) == value)
    }

    @Test(arguments: [
        "0", "-0", "7", "-42", "123456789012345", "-999999999999999", "1234567890123456", "9007199254740993",
        "1.5", "-2.25e3", "1E2", "0.1", "12345678901234567890",
    ])
    func numbersMatchTheStandardConversion(text: String) throws {
        let parsed = try JSONParser.parse(text)
        #expect(parsed == .number(Double(text)!))
        #expect(parsed.doubleValue?.sign == Double(text)!.sign)
    }

    @Test func integersKeepTheirValue() {
        #expect(JSON.number(42).intValue == 42)
        #expect(JSON.number(4.5).intValue == nil)
        #expect(JSONSerializer.string(.number(-7)) == "-7")
        for value in [0, 9, 10, 100, -100, 1_764_237_600, 999_999_999_999_999] {
            #expect(JSONSerializer.string(.number(Double(value))) == String(value))
        }
        #expect(JSONSerializer.string(.number(-0.0)) == "0")
        #expect(JSONSerializer.string(.number(1e20)) == "1e+20")
    }

    /// Short decimals take a path of their own; every number must still read back as itself.
    @Test func fractionsReadBackAsThemselves() {
        for value in [
            0.7, 0.1, 0.05, 1.5, -2.25, 0.123456, 99.9, 123_456_789.5, 0.000_1, 1.000_001, 0.3, 0.1 + 0.2,
            0.123_456_7, 1e-7, Double.leastNonzeroMagnitude, 1e9 + 0.5, 2.0 / 3, -0.000_015,
        ] {
            let text = JSONSerializer.string(.number(value))
            #expect(Double(text) == value, "\(value) wrote \(text)")
        }
        // The fewest digits: what Swift's own shortest form writes wherever that is plain decimal.
        for value in [0.7, 0.1, 0.05, 1.5, -2.25, 0.123456, 99.9, 123_456_789.5, 0.000_1, 1.000_001, 0.1 + 0.2] {
            #expect(JSONSerializer.string(.number(value)) == "\(value)")
        }
        #expect(JSONSerializer.string(.number(-0.000_015)) == "-0.000015")
    }
}

@Suite struct JSONObjectTests {
    @Test func keepsOrderReplacesAndRemovesAcrossTheIndexThreshold() {
        var object = JSONObject()
        for index in 0..<40 { object["k\(index)"] = .number(Double(index)) }
        object["k3"] = "three"
        object["k20"] = nil
        object["k5"] = nil
        #expect(object.count == 38)
        #expect(object["k3"] == "three" && object["k20"] == nil && object["k39"] == 39)
        #expect(object.keys.prefix(5) == ["k0", "k1", "k2", "k3", "k4"] && object.keys[5] == "k6")
        object["k40"] = true
        #expect(object.keys.last == "k40" && object["k40"] == true)
    }

    @Test func duplicateKeysInInputKeepTheLastValue() throws {
        #expect(try JSONParser.parse(#"{"a":1,"b":2,"a":3}"#) == ["a": 3, "b": 2])
    }

    @Test func aHugeObjectKeepsEveryKey() throws {
        let keys = (0..<50_000).map { "\"key\($0)\":\($0)" }.joined(separator: ",")
        let value = try JSONParser.parse("{" + keys + "}")
        #expect(value.objectValue?.count == 50_000)
        #expect(value["key0"] == 0 && value["key49999"] == 49_999 && value["key50000"] == nil)
    }
}

@Suite struct JSONEscapingTests {
    @Test func everyASCIICharacterAndMultiByteTextRoundTrip() throws {
        let text = String((0..<128).map { Character(Unicode.Scalar(UInt8($0))) }) + "é☕😀\u{2028}"
        let serialized = JSONSerializer.string(.string(text))
        #expect(!serialized.utf8.dropFirst().dropLast().contains { $0 < 0x20 })
        #expect(try JSONParser.parse(serialized) == .string(text))
    }

    /// Every byte that needs escaping is escaped at every offset from a word boundary (runs are found eight
    /// bytes at a time), exactly as a byte-by-byte escaper writes it.
    @Test func everyEscapeAtEveryOffsetMatchesAByteByByteEscaper() {
        func reference(_ text: String) -> String {
            var out = Array("\"".utf8)
            for byte in text.utf8 {
                switch byte {
                case 0x22: out += Array("\\\"".utf8)
                case 0x5C: out += Array("\\\\".utf8)
                case 0x0A: out += Array("\\n".utf8)
                case 0x0D: out += Array("\\r".utf8)
                case 0x09: out += Array("\\t".utf8)
                case 0..<0x20:
                    out += Array(("\\u00" + String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16)).utf8)
                default: out.append(byte)
                }
            }
            return String(decoding: out + Array("\"".utf8), as: UTF8.self)
        }
        for special in Array(0..<0x20) + [0x22, 0x5C] {
            let char = String(Character(Unicode.Scalar(UInt8(special))))
            for before in 0..<18 {
                let text =
                    String(repeating: "a", count: before) + char + "é" + String(repeating: "b", count: 9 - before % 9)
                #expect(JSONSerializer.string(.string(text)) == reference(text), "byte \(special) after \(before)")
            }
        }
    }
}

/// Keys are told apart by their UTF-8 bytes (RFC 8259), in small objects and in indexed large ones alike.
@Suite struct JSONObjectKeyTests {
    @Test(arguments: [2, 40])
    func canonicallyEquivalentKeysStayDistinct(size: Int) {
        var object = JSONObject()
        for number in 0..<size { object["k\(number)"] = .number(Double(number)) }
        object["\u{E9}"] = "precomposed"
        object["e\u{301}"] = "decomposed"
        #expect(object["\u{E9}"] == "precomposed" && object["e\u{301}"] == "decomposed")
        #expect(object.count == size + 2)
        object["k1"] = "again"
        #expect(object["k1"] == "again" && object.count == size + 2)
    }
}
