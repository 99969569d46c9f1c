import Testing

@testable import RPC

@Suite struct GzipCodecTests {
    @Test func roundTrips() throws {
        let input = Array(String(repeating: "the quick brown fox ", count: 500).utf8)
        let compressed = GzipCodec.compress(input)
        #expect(compressed.count < input.count / 10)
        #expect(Array(compressed.prefix(2)) == [0x1F, 0x8B])  // gzip magic, not a zlib header
        #expect(try GzipCodec.decompress(compressed, limit: input.count) == input)
        #expect(try GzipCodec.decompress(GzipCodec.compress([]), limit: 0) == [])
    }

    @Test func refusesOutputBeyondTheLimit() {
        let bomb = GzipCodec.compress([UInt8](repeating: 0, count: 1 << 20))
        #expect(throws: GzipError.tooLarge(limit: 1000)) { try GzipCodec.decompress(bomb, limit: 1000) }
    }

    @Test func rejectsCorruptAndTruncatedInput() {
        let good = GzipCodec.compress(Array("hello hello hello".utf8))
        #expect(throws: GzipError.corrupt) { try GzipCodec.decompress([1, 2, 3, 4], limit: 100) }
        #expect(throws: GzipError.corrupt) { try GzipCodec.decompress(Array(good.dropLast(6)), limit: 100) }
    }
}
