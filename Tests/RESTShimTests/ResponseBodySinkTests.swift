import Gateway
import RPC
import Reactor
import Testing

@testable import RESTShim

/// A stream's batches written to a response body: encoded by the front door's encoder, queued at once when
/// pushed, and "behind" exactly when the writer says the client is not reading.
@Suite struct ResponseBodySinkTests {
    /// A writer on a loop that queues what it is given and says the client is behind when told to.
    final class QueueingWriter: ResponseWriter, @unchecked Sendable {
        let queued = Locked<[UInt8]>([])
        let behind = Locked(false)
        let loop: EventLoop

        init(loop: EventLoop) {
            self.loop = loop
        }

        func writeHead(_ head: ResponseHead) async throws {}
        func writeBody(_ bytes: [UInt8]) async throws { queued.withLock { $0 += bytes } }
        func finish(head: ResponseHead?, trailers: HTTPFields) async throws {}
        var eventLoop: EventLoop? { loop }

        func queueBody(_ bytes: [UInt8]) throws -> Bool {
            queued.withLock { $0 += bytes }
            return behind.withLock { $0 }
        }
    }

    @Test func aPushedBatchIsQueuedAndBehindOnlyWhenTheWriterSaysSo() throws {
        let loop = EventLoop()
        let writer = QueueingWriter(loop: loop)
        let sink = ResponseBodySink(TextChunks(), writer: writer)
        #expect(!sink.canWriteNow, "this thread is not the writer's loop")
        let batch = ChunkBatch(id: "g", model: "m", provider: "p", pieces: [.text("a"), .text("b")])
        #expect(try sink.writeNow(batch), "the client keeps up")
        writer.behind.withLock { $0 = true }
        #expect(try !sink.writeNow(batch), "the client is behind")
        let text = writer.queued.withLock { String(decoding: $0, as: UTF8.self) }
        #expect(text.components(separatedBy: "data: ").count == 5)
        #expect(text.hasPrefix("data: {\"id\":\"g\",\"model\":\"m\",\"provider\":\"p\",\"content\":\"a\""))
    }
}
