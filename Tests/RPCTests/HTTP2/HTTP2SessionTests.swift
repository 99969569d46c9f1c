import Reactor
import Testing

@testable import RPC

/// The nghttp2 session apart from any socket: client frames in, delegate events and server frames out.
@Suite struct HTTP2SessionTests {
    /// What the session told its delegate, in order.
    final class Events: HTTP2SessionDelegate {
        var log: [String] = []
        var bodies: [Int32: [UInt8]] = [:]

        func streamBegan(_ id: Int32) { log.append("began \(id)") }
        func streamHeader(_ id: Int32, name: Span<UInt8>, value: Span<UInt8>) -> Bool {
            log.append("header \(id) \(Self.text(name))=\(Self.text(value))")
            return true
        }
        func streamHeadersComplete(_ id: Int32) { log.append("headers \(id)") }
        func streamData(_ id: Int32, length: Int, copy: (inout [UInt8]) -> Void) {
            copy(&bodies[id, default: []])
        }
        func streamEnded(_ id: Int32) { log.append("ended \(id)") }
        func streamResponseSent(_ id: Int32) { log.append("sent \(id)") }
        func streamClosed(_ id: Int32, errorCode: UInt32) { log.append("closed \(id) \(errorCode)") }
        func streamOutboxDrained(_ id: Int32) {}

        static func text(_ bytes: Span<UInt8>) -> String {
            bytes.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// One frame the server sent: its type, flags and stream.
    struct Frame: Equatable, CustomStringConvertible {
        var type: UInt8
        var flags: UInt8
        var stream: UInt32
        var description: String { "\(type)/\(flags)@\(stream)" }

        static let data: UInt8 = 0, headers: UInt8 = 1, rstStream: UInt8 = 3, settings: UInt8 = 4
        static let goAway: UInt8 = 7, windowUpdate: UInt8 = 8
        static let endStream: UInt8 = 1, endHeaders: UInt8 = 4
    }

    static let loops: EventLoopGroup = {
        let group = EventLoopGroup(count: 1)
        group.start()
        return group
    }()
    var loop: EventLoop { Self.loops.loops[0] }

    // MARK: client frames

    static func frame(_ type: UInt8, flags: UInt8 = 0, stream: UInt32, _ payload: [UInt8] = []) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags]
            + [UInt8(stream >> 24 & 0x7F), UInt8(stream >> 16 & 0xFF), UInt8(stream >> 8 & 0xFF), UInt8(stream & 0xFF)]
            + payload
    }

    /// A HEADERS frame of literal fields (HPACK "literal without indexing, new name"; short strings only).
    static func headers(stream: UInt32, _ fields: [(String, String)], endStream: Bool) -> [UInt8] {
        var block: [UInt8] = []
        for (name, value) in fields {
            block += [0x00, UInt8(name.utf8.count)] + Array(name.utf8) + [UInt8(value.utf8.count)] + Array(value.utf8)
        }
        return frame(
            Frame.headers, flags: Frame.endHeaders | (endStream ? Frame.endStream : 0), stream: stream, block)
    }

    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + frame(Frame.settings, stream: 0)

    static func get(stream: UInt32, endStream: Bool = true) -> [UInt8] {
        headers(
            stream: stream, [(":method", "GET"), (":scheme", "http"), (":path", "/x"), (":authority", "t")],
            endStream: endStream)
    }

    // MARK: running

    /// Runs `body` on the loop with a fresh session and its delegate.
    func withSession(_ body: @escaping (HTTP2Session, Events) -> Void) {
        let loop = self.loop
        loop.runAndWait {
            let events = Events()
            guard let session = HTTP2Session(delegate: events, limits: ServerLimits(), loop: loop) else {
                Issue.record("no session")
                return
            }
            body(session, events)
        }
    }

    /// The frames the session has ready to send.
    static func output(_ session: HTTP2Session) -> [Frame] {
        framesWithLengths(session).map(\.frame)
    }

    /// The frames the session has ready to send, each with its payload's length.
    static func framesWithLengths(_ session: HTTP2Session) -> [(frame: Frame, length: Int)] {
        var bytes: [UInt8] = []
        session.drainOutput(into: &bytes, limit: 1 << 22)
        var frames: [(frame: Frame, length: Int)] = []
        var index = 0
        while index + 9 <= bytes.count {
            let length = Int(bytes[index]) << 16 | Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
            let stream = bytes[index + 5..<index + 9].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } & 0x7FFF_FFFF
            frames.append((Frame(type: bytes[index + 3], flags: bytes[index + 4], stream: stream), length))
            index += 9 + length
        }
        return frames
    }

    // MARK: tests

    @Test func aRequestArrivesAsBeganHeadersCompleteAndEnded() {
        withSession { session, events in
            #expect(session.receive((Self.preface + Self.get(stream: 1))[...]))
            #expect(
                events.log == [
                    "began 1", "header 1 :method=GET", "header 1 :scheme=http", "header 1 :path=/x",
                    "header 1 :authority=t", "headers 1", "ended 1",
                ])
            let frames = Self.output(session)
            #expect(frames.first?.type == Frame.settings, "the server's SETTINGS come first")
        }
    }

    @Test func aResponseIsHeadersThenDataThatEndsTheStream() {
        withSession { session, events in
            _ = session.receive((Self.preface + Self.get(stream: 1))[...])
            _ = Self.output(session)
            #expect(session.respond(1, head: ResponseHead(status: 200), endStream: false))
            #expect(session.enqueue(1, Array(repeating: 0x61, count: 100)) == 100)
            session.finish(1, trailers: nil)
            let frames = Self.output(session).filter { $0.stream == 1 }
            #expect(
                frames == [
                    Frame(type: Frame.headers, flags: Frame.endHeaders, stream: 1),
                    Frame(type: Frame.data, flags: Frame.endStream, stream: 1),
                ])
            #expect(events.log.suffix(2) == ["sent 1", "closed 1 0"])
        }
    }

    @Test func trailersEndTheStreamInTheirOwnHeadersFrame() {
        withSession { session, _ in
            _ = session.receive((Self.preface + Self.get(stream: 1))[...])
            _ = session.respond(1, head: ResponseHead(status: 200), endStream: false)
            _ = session.enqueue(1, [1, 2, 3])
            session.finish(1, trailers: ["grpc-status": "0"])
            let frames = Self.output(session).filter { $0.stream == 1 }
            #expect(
                frames == [
                    Frame(type: Frame.headers, flags: Frame.endHeaders, stream: 1),
                    Frame(type: Frame.data, flags: 0, stream: 1),
                    Frame(type: Frame.headers, flags: Frame.endHeaders | Frame.endStream, stream: 1),
                ])
        }
    }

    @Test func aClientResetClosesTheStreamWithItsCode() {
        withSession { session, events in
            _ = session.receive((Self.preface + Self.get(stream: 1, endStream: false))[...])
            #expect(session.receive(Self.frame(Frame.rstStream, stream: 1, [0, 0, 0, 8])[...]))
            #expect(events.log.last == "closed 1 8")
            // A response to the closed stream goes nowhere.
            _ = session.respond(1, head: ResponseHead(status: 200), endStream: true)
            #expect(!Self.output(session).contains { $0.stream == 1 })
            #expect(session.fatalError == nil)
        }
    }

    @Test func aProtocolViolationEndsTheSessionWithGoAway() {
        withSession { session, _ in
            _ = session.receive(Self.preface[...])
            _ = Self.output(session)
            // DATA on stream 0 is a connection error (RFC 9113 §6.1): GOAWAY, and the session is done.
            _ = session.receive(Self.frame(Frame.data, stream: 0, [1])[...])
            #expect(Self.output(session).contains { $0.type == Frame.goAway })
            #expect(!session.isAlive)
            #expect(session.fatalError == nil, "the peer's error is not the session's")
        }
    }

    @Test func aWrongPrefaceIsRefused() {
        withSession { session, _ in
            #expect(!session.receive(Array("GET / HTTP/1.1\r\n\r\nxxxxxxxxxxxxxxxxxx".utf8)[...]))
            #expect(session.fatalError == nil)
        }
    }

    @Test func theConnectionWindowReopensOnlyForConsumedBytes() {
        withSession { session, events in
            var input = Self.preface + Self.get(stream: 1, endStream: false)
            for _ in 0..<3 { input += Self.frame(Frame.data, stream: 1, Array(repeating: 7, count: 15_000)) }
            #expect(session.receive(input[...]))
            #expect(events.bodies[1]?.count == 45_000)
            #expect(!Self.output(session).contains { $0.type == Frame.windowUpdate }, "granted before consumed")
            session.consume(1, 45_000)
            #expect(Self.output(session).contains { $0.type == Frame.windowUpdate && $0.stream == 0 })
        }
    }

    @Test(arguments: [true, false])
    func aFieldNotIndexedIsSentInFullEveryTime(indexed: Bool) {
        // HPACK sends an indexed field's next occurrence as a reference of a byte or two into its table.
        withSession { session, _ in
            _ = session.receive((Self.preface + Self.get(stream: 1) + Self.get(stream: 3))[...])
            var lengths: [Int] = []
            for id in [Int32(1), 3] {
                var head = ResponseHead(status: 200)
                head.headers.append("x-request-id", "a value that changes with every answer", indexed: indexed)
                _ = session.respond(id, head: head, endStream: true)
                lengths += Self.framesWithLengths(session)
                    .filter { $0.frame.type == Frame.headers && $0.frame.stream == UInt32(id) }.map(\.length)
            }
            #expect(lengths.count == 2)
            if indexed {
                #expect(lengths[1] < lengths[0] - 20, "\(lengths)")
            } else {
                #expect(lengths[1] == lengths[0], "\(lengths)")
            }
        }
    }

    @Test func goAwayNamesTheLastStreamAndEndsTheSessionOnceIdle() {
        withSession { session, _ in
            _ = session.receive((Self.preface + Self.get(stream: 1))[...])
            _ = session.respond(1, head: ResponseHead(status: 204), endStream: true)
            session.goAway()
            let frames = Self.output(session)
            #expect(frames.contains { $0.type == Frame.goAway })
            #expect(!session.isAlive)
        }
    }
}
