import Glibc

/// One server-sent event.
public struct SSEEvent: Sendable, Equatable {
    /// The `event:` field; "message" when the event named none.
    public var event: String
    /// The `data:` lines joined by LF, as received: a JSON payload goes to the parser without becoming a
    /// String first.
    public var dataBytes: [UInt8]
    public var id: String?

    public var data: String { String(decoding: dataBytes, as: UTF8.self) }

    public init(event: String = "message", data: String, id: String? = nil) {
        self.init(event: event, dataBytes: Array(data.utf8), id: id)
    }

    init(event: String, dataBytes: [UInt8], id: String?) {
        self.event = event
        self.dataBytes = dataBytes
        self.id = id
    }

    init(_ view: SSEEventView) {
        self.init(event: view.event, dataBytes: Array(view.data), id: view.id)
    }
}

/// An event handed to `SSEDecoder.decode`'s visitor in place: `data` points into the decoder's input or
/// buffer and is valid only during that call (no array per event).
public struct SSEEventView {
    /// The `event:` field; "message" when the event named none.
    public let event: String
    public let data: UnsafeBufferPointer<UInt8>
    public let id: String?
}

/// A provider's stream held a line or event larger than the gateway buffers (it never ended it, or it is huge).
public struct StreamLimitExceeded: Error, Equatable, CustomStringConvertible {
    public var limit: Int
    public var description: String { "a stream line or event exceeded \(limit) bytes" }
}

/// Decodes `text/event-stream` per the WHATWG HTML spec (§9.2.6): LF, CRLF and CR line ends, comments,
/// multi-line `data`, `event` and `id` fields, and chunks split anywhere, even inside a UTF-8 character
/// (lines are decoded only once complete). An event (its pending line plus its data so far) larger than
/// `maxEventBytes` is an error: an upstream that never sends a line break must not grow memory until its
/// timeout.
public struct SSEDecoder: Sendable {
    public static let defaultMaxEventBytes = 1 << 20
    public let maxEventBytes: Int
    private var line: [UInt8] = []
    private var lastWasCR = false
    /// Bytes seen at the stream's start while they could still be a UTF-8 byte order mark; nil once decided.
    private var byteOrderMark: [UInt8]? = []
    private static let utf8BOM: [UInt8] = [0xEF, 0xBB, 0xBF]
    private var eventType = ""
    private var data: [UInt8] = []
    private var hasData = false
    private var lastEventID: String?
    private var lastEventName: (bytes: [UInt8], name: String) = ([], "")

    public init(maxEventBytes: Int = defaultMaxEventBytes) {
        self.maxEventBytes = maxEventBytes
    }

    /// Consumes bytes; returns the events they complete.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) throws -> [SSEEvent] where Bytes.Element == UInt8 {
        var events: [SSEEvent] = []
        try decode(bytes as? [UInt8] ?? Array(bytes)) { events.append(SSEEvent($0)) }
        return events
    }

    /// `decode(_:_:)` of bytes in an array.
    public mutating func decode(_ bytes: [UInt8], _ visit: (SSEEventView) throws -> Void) throws {
        try decode(bytes.span, visit)
    }

    /// Consumes bytes and hands each event they complete to `visit`, in place. Throws `StreamLimitExceeded`,
    /// or what `visit` throws (the events after it are not decoded).
    public mutating func decode(_ bytes: Swift.Span<UInt8>, _ visit: (SSEEventView) throws -> Void) throws {
        try bytes.withUnsafeBufferPointer { input in
            var start = 0
            while var prefix = byteOrderMark, start < input.count {
                prefix.append(input[start])
                start += 1
                if prefix == Self.utf8BOM {
                    byteOrderMark = nil  // dropped: a BOM is not part of the first line
                } else if Self.utf8BOM.starts(with: prefix) {
                    byteOrderMark = prefix
                } else {
                    byteOrderMark = nil
                    for early in prefix { try process(early, visit) }
                }
            }
            try decodeLines(UnsafeBufferPointer(rebasing: input[start...]), visit)
        }
    }

    /// Copies each run up to the next line terminator whole; terminators go through `process`.
    private mutating func decodeLines(
        _ buffer: UnsafeBufferPointer<UInt8>, _ visit: (SSEEventView) throws -> Void
    ) throws {
        var start = 0
        while start < buffer.count {
            let end = Self.lineEnd(buffer, from: start)
            if let data = wholeDataEvent(buffer, start, end) {
                try visit(SSEEventView(event: "message", data: data, id: lastEventID))
                start = end + 2
                continue
            }
            guard line.count + data.count + (end - start) <= maxEventBytes else {
                throw StreamLimitExceeded(limit: maxEventBytes)
            }
            if end > start {
                lastWasCR = false
                line.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<end]))
            }
            guard end < buffer.count else { break }
            try process(buffer[end], visit)
            start = end + 1
        }
    }

    /// Where the line from `start` ends: its CR or LF, or the end of the buffer (`memchr` for each, as lines
    /// are a whole JSON chunk long).
    private static func lineEnd(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let base = buffer.baseAddress! + start
        let count = buffer.count - start
        let lf = memchr(base, 0x0A, count).map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? count
        let cr = memchr(base, 0x0D, lf).map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? lf
        return start + cr
    }

    /// The common event — one `data:` line and the blank line after it, both in this buffer, with nothing
    /// pending — taken straight from the buffer (no copy through the line and data buffers): its data.
    private mutating func wholeDataEvent(
        _ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int
    ) -> UnsafeBufferPointer<UInt8>? {
        guard line.isEmpty, !hasData, eventType.isEmpty, end + 1 < buffer.count, buffer[end] == 0x0A,
            buffer[end + 1] == 0x0A, end - start >= 5, end - start <= maxEventBytes,
            buffer[start] == UInt8(ascii: "d"), buffer[start + 1] == UInt8(ascii: "a"),
            buffer[start + 2] == UInt8(ascii: "t"), buffer[start + 3] == UInt8(ascii: "a"),
            buffer[start + 4] == UInt8(ascii: ":")
        else { return nil }
        lastWasCR = false
        let valueStart = start + 5 < end && buffer[start + 5] == UInt8(ascii: " ") ? start + 6 : start + 5
        return UnsafeBufferPointer(rebasing: buffer[valueStart..<end])
    }

    private mutating func process(_ byte: UInt8, _ visit: (SSEEventView) throws -> Void) throws {
        switch byte {
        case 0x0A:
            if lastWasCR {
                lastWasCR = false  // the LF of a CRLF: the line already ended at the CR
            } else {
                try endLine(visit)
            }
        case 0x0D:
            lastWasCR = true
            try endLine(visit)
        default:
            lastWasCR = false
            line.append(byte)
        }
    }

    private mutating func endLine(_ visit: (SSEEventView) throws -> Void) throws {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            try dispatch(visit)
            return
        }
        if line.first == UInt8(ascii: ":") { return }  // comment, often a keep-alive
        let field: ArraySlice<UInt8>
        var value: ArraySlice<UInt8>
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            field = line[..<colon]
            value = line[(colon + 1)...]
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        } else {
            field = line[...]
            value = []
        }
        // Field names compared as bytes: a String per line would cost more than the rest of the line's work.
        if Self.field(field, is: "data") {
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        } else if Self.field(field, is: "event") {
            eventType = eventName(value)
        } else if Self.field(field, is: "id") {
            if !value.contains(0) { lastEventID = String(decoding: value, as: UTF8.self) }
        }  // `retry` and unknown fields do not concern a consumer of model streams
    }

    @inline(__always)
    private static func field(_ field: ArraySlice<UInt8>, is name: StaticString) -> Bool {
        field.count == name.utf8CodeUnitCount
            && field.withUnsafeBufferPointer { memcmp($0.baseAddress!, name.utf8Start, $0.count) == 0 }
    }

    /// The event type `value` names: the last one made again when it is the same (a stream names a few
    /// types over and over, and a name past 15 bytes is a String allocated each time).
    private mutating func eventName(_ value: ArraySlice<UInt8>) -> String {
        let known = lastEventName.bytes
        let same =
            value.count == known.count
            && (value.isEmpty
                || value.withUnsafeBufferPointer { v in
                    known.withUnsafeBufferPointer { memcmp(v.baseAddress!, $0.baseAddress!, v.count) == 0 }
                })
        if same { return lastEventName.name }
        lastEventName = (Array(value), String(decoding: value, as: UTF8.self))
        return lastEventName.name
    }

    private mutating func dispatch(_ visit: (SSEEventView) throws -> Void) throws {
        defer {
            eventType = ""
            data.removeAll(keepingCapacity: true)
            hasData = false
        }
        guard hasData else { return }
        let (event, id) = (eventType.isEmpty ? "message" : eventType, lastEventID)
        try data.withUnsafeBufferPointer { try visit(SSEEventView(event: event, data: $0, id: id)) }
    }
}
