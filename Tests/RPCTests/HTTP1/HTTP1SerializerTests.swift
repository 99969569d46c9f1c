import Testing

@testable import RPC

@Suite struct HTTP1SerializerTests {
    @Test func headWithALengthOrChunkedAndClose() {
        // The framing fields a handler set give way to the serializer's own; the rest pass.
        let head = ResponseHead(
            status: 200,
            headers: [
                "content-type": "application/json", "content-length": "9", "transfer-encoding": "gzip",
                "connection": "keep-alive", "tracestate": "a=1",
            ])
        #expect(
            String(decoding: HTTP1Serializer.head(head, bodyLength: 1234, close: false), as: UTF8.self)
                == "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntracestate: a=1\r\ncontent-length: 1234\r\n\r\n"
        )
        #expect(
            String(decoding: HTTP1Serializer.head(ResponseHead(status: 429), bodyLength: 0, close: true), as: UTF8.self)
                == "HTTP/1.1 429 Too Many Requests\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        #expect(
            String(
                decoding: HTTP1Serializer.head(ResponseHead(status: 599), bodyLength: nil, close: false), as: UTF8.self)
                == "HTTP/1.1 599 Status 599\r\ntransfer-encoding: chunked\r\n\r\n")
    }

    @Test func aHeadAppendedInPlaceFollowsWhatIsQueued() {
        // The previous response on a kept-alive connection may still be waiting in the outbound buffer.
        let head = ResponseHead(status: 201, headers: ["x-request-id": "req-ünïcode", "content-length": "2"])
        var out = Array("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".utf8)
        let queued = out
        HTTP1Serializer.appendHead(head, bodyLength: 2, close: true, to: &out)
        #expect(Array(out.prefix(queued.count)) == queued)
        #expect(
            String(decoding: out.dropFirst(queued.count), as: UTF8.self)
                == "HTTP/1.1 201 Created\r\nx-request-id: req-ünïcode\r\ncontent-length: 2\r\nconnection: close\r\n\r\n"
        )
    }

    @Test(arguments: [0, 1, 9, 10, 15, 16, 255, 256, 4095, 65536, 1_048_577])
    func chunkSizeIsLowercaseHex(size: Int) {
        let framed = HTTP1Serializer.chunk([UInt8](repeating: 0x61, count: size))
        let prefix = String(size, radix: 16) + "\r\n"
        #expect(framed.count == prefix.utf8.count + size + 2)
        #expect(String(decoding: framed.prefix(prefix.utf8.count), as: UTF8.self) == prefix)
        #expect(framed.suffix(2) == [0x0D, 0x0A])
    }

    @Test(arguments: [1, 15, 200, 0xFFFF, 0x10000, 0xABCDE, 1_048_577])
    func aChunkEncodedInPlaceFollowsWhatIsQueuedWithItsSizeFilledIn(size: Int) {
        var out = Array("queued".utf8)
        HTTP1Serializer.appendChunk(encodedBy: { $0 += [UInt8](repeating: 0x61, count: size) }, to: &out)
        // Four digits with leading zeros, or as many as the size needs.
        let hex = String(size, radix: 16)
        let sizeLine = String(repeating: "0", count: max(0, 4 - hex.count)) + hex + "\r\n"
        #expect(String(decoding: out.prefix(6 + sizeLine.utf8.count), as: UTF8.self) == "queued" + sizeLine)
        #expect(out.count == 6 + sizeLine.utf8.count + size + 2)
        #expect(out.dropFirst(6 + sizeLine.utf8.count).prefix(size).allSatisfy { $0 == 0x61 })
        #expect(out.suffix(2) == [0x0D, 0x0A])
    }

    @Test func anEmptyChunkEncodedInPlaceLeavesNothingBehind() {
        // A chunk of size 0 would end the body.
        var out = Array("queued".utf8)
        HTTP1Serializer.appendChunk(encodedBy: { _ in }, to: &out)
        #expect(out == Array("queued".utf8))
    }

    @Test func lastChunkCarriesTrailers() {
        #expect(String(decoding: HTTP1Serializer.lastChunk(trailers: HTTPFields()), as: UTF8.self) == "0\r\n\r\n")
        #expect(
            String(decoding: HTTP1Serializer.lastChunk(trailers: ["grpc-status": "0"]), as: UTF8.self)
                == "0\r\ngrpc-status: 0\r\n\r\n")
    }
}
