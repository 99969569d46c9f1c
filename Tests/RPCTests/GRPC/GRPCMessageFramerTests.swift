import Testing

@testable import RPC

@Suite struct GRPCMessageFramerTests {
    @Test func framesWithFlagAndBigEndianLength() {
        #expect(GRPCMessageFramer.frame([0xAA, 0xBB]) == [0, 0, 0, 0, 2, 0xAA, 0xBB])
        #expect(GRPCMessageFramer.frame([], compressed: true) == [1, 0, 0, 0, 0])
        let big = [UInt8](repeating: 7, count: 0x01_02_03)
        #expect(Array(GRPCMessageFramer.frame(big).prefix(5)) == [0, 0, 0x01, 0x02, 0x03])
    }

    @Test func deframesWhenFedOneByteAtATime() throws {
        let messages: [[UInt8]] = [[1, 2, 3], [], Array(repeating: 9, count: 300)]
        let wire = messages.flatMap { GRPCMessageFramer.frame($0) }
        var deframer = GRPCMessageDeframer(maxMessageBytes: 1024)
        var out: [[UInt8]] = []
        for byte in wire {
            deframer.append([byte])
            while let frame = try deframer.next() { out.append(frame.payload) }
        }
        #expect(out == messages)
        #expect(deframer.pendingBytes == 0)
    }

    @Test func deframesCoalescedMessages() throws {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 16)
        deframer.append(GRPCMessageFramer.frame([1]) + GRPCMessageFramer.frame([2], compressed: true))
        #expect(try deframer.next() == GRPCFrame(compressed: false, payload: [1]))
        #expect(try deframer.next() == GRPCFrame(compressed: true, payload: [2]))
        #expect(try deframer.next() == nil)
    }

    @Test func rejectsOversizedLengthBeforeTheBodyArrives() {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 4)
        deframer.append([0, 0, 0, 0, 5])
        #expect(throws: GRPCDeframingError.messageTooLarge(length: 5, limit: 4)) { try deframer.next() }
    }

    @Test func rejectsUnknownFlag() {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 4)
        deframer.append([2, 0, 0, 0, 0])
        #expect(throws: GRPCDeframingError.invalidFlag(2)) { try deframer.next() }
    }

    @Test func incompletePrefixWaitsForMore() throws {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 4)
        deframer.append([0, 0, 0])
        #expect(try deframer.next() == nil)
        #expect(deframer.pendingBytes == 3)
    }

    /// A batch written in place frames each message as `frame` does, and compresses each on its own.
    @Test func aBatchFramesMessagesAsTheyAreWritten() throws {
        let messages: [[UInt8]] = [[1, 2, 3], [], Array(repeating: 9, count: 0x01_02_03)]
        var batch = GRPCMessageBatch()
        for message in messages { batch.append { $0.append(contentsOf: message) } }
        #expect(batch.frames == messages.flatMap { GRPCMessageFramer.frame($0) })
        var deframer = GRPCMessageDeframer(maxMessageBytes: 1 << 20)
        deframer.append(batch.compressed())
        var out: [[UInt8]] = []
        while let frame = try deframer.next() {
            #expect(frame.compressed)
            out.append(try GzipCodec.decompress(frame.payload, limit: 1 << 20))
        }
        #expect(out == messages)
        batch.removeAll()
        #expect(batch.isEmpty)
    }
}
