import Testing

@testable import RPC

@Suite struct ProtobufCArenaTests {
    /// Pieces small and large, across many blocks: each holds what was put in it, aligned, and none overlaps
    /// another (each is read back after all were written).
    @Test func piecesHoldTheirContentsAlignedAcrossBlocks() {
        let arena = ProtobufCArena()
        var strings: [(String, UnsafeMutablePointer<CChar>)] = []
        var arrays: [([Int64], UnsafeMutablePointer<Int64>)] = []
        for index in 0..<400 {
            let text = String(repeating: index % 3 == 0 ? "é" : "x", count: index % 37) + "\(index)"
            strings.append((text, arena.string(text)))
            let items = (0..<Int64(index % 5 == 0 ? 700 : index % 9 + 1)).map { $0 * 31 + Int64(index) }
            arrays.append((items, arena.array(items)!))
        }
        for (text, pointer) in strings {
            #expect(String(cString: pointer) == text)
            #expect(Int(bitPattern: pointer) % 16 == 0)
        }
        for (items, pointer) in arrays {
            #expect(Array(UnsafeBufferPointer(start: pointer, count: items.count)) == items)
            #expect(Int(bitPattern: pointer) % 16 == 0)
        }
        #expect(String(cString: arena.string("")) == "")
        #expect(arena.array([Int64]()) == nil)
    }

    struct Pair {
        var first: Int64
        var second: Double
    }

    @Test func aMessageStartsZeroedAndIsFilled() {
        let arena = ProtobufCArena()
        _ = arena.string("a piece before it, so the message is not at a block's start")
        let message = arena.message({ (pointer: UnsafeMutablePointer<Pair>) in
            #expect(pointer.pointee.first == 0 && pointer.pointee.second == 0)
            pointer.pointee.first = 7
        }) { $0.second = 2.5 }
        #expect(message.pointee.first == 7 && message.pointee.second == 2.5)
        #expect(Int(bitPattern: message) % 16 == 0)
    }
}
