import Testing

@testable import Reactor

@Suite struct ByteAppendingTests {
    @Test func appendedBytesFollowWhatWasThereAcrossGrowth() {
        var bytes: [UInt8] = [1, 2, 3]
        var expected = bytes
        for round in 0..<200 {
            let piece = (0..<(round % 23)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ round) }
            piece.withUnsafeBytes { bytes.appendBytes($0) }
            expected += piece
        }
        bytes.appendBytes("tail")
        expected += Array("tail".utf8)
        #expect(bytes == expected)
    }

    /// Capacity grows as `append` grows it, not to each append's exact size: many small appends must not
    /// reallocate (and copy everything) every time.
    @Test func capacityGrowsGeometrically() {
        var bytes: [UInt8] = []
        var capacities: Set<Int> = []
        for _ in 0..<10_000 {
            bytes.appendBytes("seven!!")
            capacities.insert(bytes.capacity)
        }
        #expect(bytes.count == 70_000)
        #expect(capacities.count < 40)
    }

    @Test func nothingToAppendChangesNothing() {
        var bytes: [UInt8] = [9]
        bytes.appendBytes(UnsafeRawBufferPointer(start: nil, count: 0))
        bytes.appendBytes("")
        bytes.appendUTF8("")
        bytes.appendBytes(count: 0) { _ in Issue.record("nothing to write") }
        #expect(bytes == [9])
    }

    @Test(arguments: ["ok", "a string longer than fifteen bytes, so stored out of line", "é☕😀"])
    func appendUTF8WritesTheStringsBytes(_ text: String) {
        var bytes = Array("x=".utf8)
        bytes.appendUTF8(text)
        #expect(bytes == Array("x=".utf8) + Array(text.utf8))
    }

    @Test func appendingToACopyLeavesTheOriginalAlone() {
        let original: [UInt8] = [1, 2, 3]
        var copy = original
        copy.appendBytes("abc")
        #expect(original == [1, 2, 3])
        #expect(copy == [1, 2, 3] + Array("abc".utf8))
    }
}
