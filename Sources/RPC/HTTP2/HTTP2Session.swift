internal import CNGHTTP2
import Reactor

/// Receives what an HTTP/2 session reads, per stream, in order.
protocol HTTP2SessionDelegate: AnyObject {
    func streamBegan(_ id: Int32)
    /// Returns false to reset the stream (for example when its header block grows too large). The bytes are
    /// nghttp2's, valid during the call.
    func streamHeader(_ id: Int32, name: Span<UInt8>, value: Span<UInt8>) -> Bool
    func streamHeadersComplete(_ id: Int32)
    /// `length` bytes of the stream's body arrived; `copy` appends them to a buffer (called at most once,
    /// during this call). Their flow-control window reopens only when the delegate calls `consume`.
    func streamData(_ id: Int32, length: Int, copy: (inout [UInt8]) -> Void)
    /// The client finished sending (END_STREAM).
    func streamEnded(_ id: Int32)
    /// The response's last frame (END_STREAM) was written.
    func streamResponseSent(_ id: Int32)
    /// The stream is gone, normally or by reset; `errorCode` is 0 for a normal close.
    func streamClosed(_ id: Int32, errorCode: UInt32)
    /// The stream's buffered response fell below the low watermark.
    func streamOutboxDrained(_ id: Int32)
}

/// The nghttp2 server session of one connection, driven with `mem_recv` / `mem_send` so the event loop
/// owns all I/O. Each response body is a per-stream outbox that nghttp2 pulls from as flow control allows.
///
/// Memory: `session` is created in `init` and deleted in `deinit`; nghttp2 reaches this object through an
/// unretained `user_data` pointer, valid because nghttp2 calls back only from inside the methods below.
/// Header name/value buffers passed to `submit_*` are copied by nghttp2 before the call returns; a received
/// header's name and value are nghttp2's buffers, lent to the delegate as spans for the callback alone.
///
/// Every nghttp2 return code is checked: a fatal one (out of memory, a broken session) is kept in
/// `fatalError`, after which the connection ends; others fail the one call (the caller resets its stream).
/// Loop-confined: every entry asserts it runs on `loop` (debug builds).
final class HTTP2Session {
    private final class Outbox {
        var bytes: [UInt8] = []
        var start = 0
        var ended = false
        var trailers: HTTPFields?
        var deferred = false
        /// When the peer last took bytes (or the outbox last went from empty to holding some).
        var lastProgress = MonotonicInstant.now()
        var buffered: Int { bytes.count - start }
    }

    private var session: OpaquePointer?
    /// Unowned, not weak: the connection owns its session and makes every call nghttp2 calls back from, so
    /// it outlives every callback; and a weak reference would give the connection a side table, which makes
    /// every retain and release of it take the runtime's slow path.
    private unowned let delegate: HTTP2SessionDelegate
    private var outboxes: [Int32: Outbox] = [:]
    private let lowWatermark: Int
    private unowned let loop: EventLoop
    /// The first fatal error nghttp2 reported (`call: reason`); the session is unusable from then on.
    private(set) var fatalError: String?

    init?(delegate: HTTP2SessionDelegate, limits: ServerLimits, loop: EventLoop) {
        self.delegate = delegate
        self.loop = loop
        lowWatermark = limits.outboundHighWatermark / 2
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0 else { return nil }
        defer { nghttp2_session_callbacks_del(callbacks) }
        HTTP2Session.install(callbacks)
        var option: OpaquePointer?
        guard nghttp2_option_new(&option) == 0 else { return nil }
        defer { nghttp2_option_del(option) }
        nghttp2_option_set_max_settings(option, 32)
        nghttp2_option_set_max_outbound_ack(option, 1000)
        // Request bodies reopen their window only as the application takes them (`consume`), so a client
        // can never have more in flight than the server chose to buffer.
        nghttp2_option_set_no_auto_window_update(option, 1)
        let user = Unmanaged.passUnretained(self).toOpaque()
        guard nghttp2_session_server_new2(&session, callbacks, user, option) == 0 else { return nil }
        let settings: [(Int32, UInt32)] = [
            (Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), limits.maxConcurrentStreams),
            (Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), 1 << 20),
            (Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), UInt32(limits.maxHeaderListBytes)),
        ]
        var entries = settings.map { nghttp2_settings_entry(settings_id: $0.0, value: $0.1) }
        let submitted = nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
        guard check(submitted, "nghttp2_submit_settings") else { return nil }
        // The connection window stays at the protocol's 64 KiB: it is granted before any budget check, so it
        // is what every connection may hold for free; past it, windows reopen as `consume` allows (at once
        // while the budgets have room, so an upload streams on).
    }

    deinit {
        nghttp2_session_del(session)
    }

    /// Whether `rc` is a success; a fatal error is kept in `fatalError`. nghttp2's errors are negative.
    @discardableResult
    private func check<Code: BinaryInteger>(_ rc: Code, _ call: StaticString) -> Bool {
        guard rc < 0 else { return true }
        let code = Int32(clamping: rc)
        if nghttp2_is_fatal(code) != 0, fatalError == nil {
            fatalError = "\(call): \(String(cString: nghttp2_strerror(code)))"
        }
        return false
    }

    /// Feeds bytes from the socket; false when the peer broke the protocol (a GOAWAY is then queued) or the
    /// session failed.
    func receive(_ bytes: ArraySlice<UInt8>) -> Bool {
        loop.assertOnLoop()
        let rc = bytes.withUnsafeBytes { raw in
            nghttp2_session_mem_recv(session, raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count)
        }
        // A failed read is the peer's doing (a bad preface, a flood, a protocol violation), not the session's.
        guard rc >= 0 else {
            check(
                nghttp2_session_terminate_session(session, UInt32(NGHTTP2_PROTOCOL_ERROR.rawValue)),
                "nghttp2_session_terminate_session")
            return false
        }
        return fatalError == nil
    }

    /// Appends frames nghttp2 wants to send, stopping once `output` holds `limit` bytes.
    func drainOutput(into output: inout [UInt8], limit: Int) {
        loop.assertOnLoop()
        while output.count < limit {
            var data: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &data)
            guard check(count, "nghttp2_session_mem_send"), count > 0, let data else { return }
            output.append(contentsOf: UnsafeBufferPointer(start: data, count: count))
        }
    }

    /// True while frames are ready to send (flow control permitting).
    var wantsWrite: Bool { nghttp2_session_want_write(session) != 0 }

    /// True while the session still wants to read or write; false once it is done (after GOAWAY).
    var isAlive: Bool {
        nghttp2_session_want_read(session) != 0 || nghttp2_session_want_write(session) != 0
    }

    // MARK: responses

    /// Submits the response head. With `endStream` the HEADERS frame ends the stream (trailers-only).
    func respond(_ id: Int32, head: ResponseHead, extraFields: HTTPFields = HTTPFields(), endStream: Bool) -> Bool {
        loop.assertOnLoop()
        let status = String(head.status)
        if endStream {
            return check(
                withNameValues(status: status, head.headers, extraFields) {
                    nghttp2_submit_response(session, id, $0, $1, nil)
                }, "nghttp2_submit_response")
        }
        outboxes[id] = Outbox()
        var provider = nghttp2_data_provider()
        provider.read_callback = HTTP2Session.readCallback
        guard
            check(
                withNameValues(status: status, head.headers, extraFields) {
                    nghttp2_submit_response(session, id, $0, $1, &provider)
                },
                "nghttp2_submit_response")
        else {
            outboxes[id] = nil
            return false
        }
        return true
    }

    /// Queues body bytes; returns how many bytes the stream now has buffered.
    func enqueue(_ id: Int32, _ bytes: [UInt8]) -> Int {
        loop.assertOnLoop()
        guard let outbox = outboxes[id] else { return 0 }
        if outbox.start > 0, outbox.start == outbox.bytes.count {
            outbox.bytes.removeAll(keepingCapacity: true)
            outbox.start = 0
        }
        if outbox.buffered == 0 { outbox.lastProgress = .now() }
        outbox.bytes.append(contentsOf: bytes)
        resume(id, outbox)
        return outbox.buffered
    }

    /// Streams whose peer has taken none of their buffered response bytes since `cutoff` (a client that
    /// stopped reading, or stopped granting flow-control window).
    func streamsStalled(since cutoff: MonotonicInstant) -> [Int32] {
        outboxes.compactMap { id, outbox in outbox.buffered > 0 && outbox.lastProgress < cutoff ? id : nil }
    }

    /// Reopens the flow-control window for `count` body bytes the application took off stream `id` (the
    /// connection's window too; for a stream already gone, the connection's alone).
    func consume(_ id: Int32, _ count: Int) {
        loop.assertOnLoop()
        guard count > 0 else { return }
        check(nghttp2_session_consume(session, id, count), "nghttp2_session_consume")
    }

    /// Ends the response once its buffered bytes are sent, with trailers when given.
    func finish(_ id: Int32, trailers: HTTPFields?) {
        loop.assertOnLoop()
        guard let outbox = outboxes[id] else { return }
        outbox.ended = true
        outbox.trailers = trailers
        resume(id, outbox)
    }

    func reset(_ id: Int32, errorCode: UInt32) {
        loop.assertOnLoop()
        check(
            nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), id, errorCode),
            "nghttp2_submit_rst_stream")
    }

    static let noError = UInt32(NGHTTP2_NO_ERROR.rawValue)
    static let cancelError = UInt32(NGHTTP2_CANCEL.rawValue)
    static let internalError = UInt32(NGHTTP2_INTERNAL_ERROR.rawValue)

    /// Sends GOAWAY naming the last stream taken, so the client retries later streams elsewhere.
    func goAway() {
        loop.assertOnLoop()
        let last = nghttp2_session_get_last_proc_stream_id(session)
        check(
            nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, HTTP2Session.noError, nil, 0),
            "nghttp2_submit_goaway")
    }

    private func resume(_ id: Int32, _ outbox: Outbox) {
        if outbox.deferred {
            outbox.deferred = false
            check(nghttp2_session_resume_data(session, id), "nghttp2_session_resume_data")
        }
    }

    /// Lays a header block out as nghttp2 name-value pairs for `body` (nghttp2 copies them before it
    /// returns): `:status` when given, then `fields`, then `more`. Both the bytes and the pairs are temporary
    /// allocations, on the stack for any head or trailer block of ordinary size: arrays were four allocations
    /// per block, eight per gRPC call.
    private func withNameValues(
        status: String?, _ fields: HTTPFields, _ more: HTTPFields = HTTPFields(),
        _ body: (UnsafePointer<nghttp2_nv>, Int) -> Int32
    ) -> Int32 {
        let count = (status == nil ? 0 : 1) + fields.count + more.count
        let bytes = { (total: Int, field: HTTPFields.Field) in total + field.name.utf8.count + field.value.utf8.count }
        let byteCount =
            fields.entries.reduce(0, bytes) + more.entries.reduce(0, bytes) + (status.map { 7 + $0.utf8.count } ?? 0)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(byteCount, 1)) { storage in
            withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: max(count, 1)) { pairs in
                var next = storage.baseAddress!
                func place(_ text: String) -> (UnsafeMutablePointer<UInt8>, Int) {
                    let start = next
                    let copied = text.utf8.withContiguousStorageIfAvailable { bytes in
                        if let source = bytes.baseAddress { start.initialize(from: source, count: bytes.count) }
                        return bytes.count
                    }
                    let count =
                        copied
                        ?? UnsafeMutableBufferPointer(start: start, count: text.utf8.count).initialize(from: text.utf8)
                        .1
                    next += count
                    return (start, count)
                }
                var index = 0
                func add(_ name: String, _ value: String, indexed: Bool = true) {
                    let (nameStart, nameCount) = place(name)
                    let (valueStart, valueCount) = place(value)
                    let flags = indexed ? NGHTTP2_NV_FLAG_NONE : NGHTTP2_NV_FLAG_NO_INDEX
                    (pairs.baseAddress! + index).initialize(
                        to: nghttp2_nv(
                            name: nameStart, value: valueStart, namelen: nameCount, valuelen: valueCount,
                            flags: UInt8(flags.rawValue)))
                    index += 1
                }
                if let status { add(":status", status) }
                for field in fields.entries { add(field.name, field.value, indexed: field.indexed) }
                for field in more.entries { add(field.name, field.value, indexed: field.indexed) }
                return body(pairs.baseAddress!, index)
            }
        }
    }

    // MARK: C callbacks

    private static func owner(_ user: UnsafeMutableRawPointer?) -> HTTP2Session {
        Unmanaged<HTTP2Session>.fromOpaque(user!).takeUnretainedValue()
    }

    private static func isRequestHeaders(_ frame: UnsafePointer<nghttp2_frame>?) -> Bool {
        guard let frame else { return false }
        return frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue)
            && frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST
    }

    private static let readCallback: nghttp2_data_source_read_callback = { _, id, buffer, length, flags, _, user in
        let this = HTTP2Session.owner(user)
        guard let outbox = this.outboxes[id], let buffer, let flags else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        let count = min(length, outbox.buffered)
        if count > 0 {
            outbox.bytes.withUnsafeBufferPointer { source in
                buffer.update(from: source.baseAddress! + outbox.start, count: count)
            }
            outbox.start += count
            outbox.lastProgress = .now()
            let wasAbove = outbox.buffered + count >= this.lowWatermark
            if wasAbove, outbox.buffered < this.lowWatermark { this.delegate.streamOutboxDrained(id) }
        }
        if outbox.buffered == 0 {
            if outbox.ended {
                flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
                // Trailers end the stream in their own HEADERS frame; if they cannot be submitted, the
                // DATA frame ends it instead (a stream must end either way).
                if let trailers = outbox.trailers, trailers.count > 0,
                    this.check(
                        this.withNameValues(status: nil, trailers) {
                            nghttp2_submit_trailer(this.session, id, $0, $1)
                        }, "nghttp2_submit_trailer")
                {
                    flags.pointee |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
                }
            } else if count == 0 {
                outbox.deferred = true
                return Int(NGHTTP2_ERR_DEFERRED.rawValue)
            }
        }
        return count
    }

    private static func install(_ callbacks: OpaquePointer?) {
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, user in
            if HTTP2Session.isRequestHeaders(frame) {
                HTTP2Session.owner(user).delegate.streamBegan(frame!.pointee.hd.stream_id)
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) {
            _, frame, name, nameLength, value, valueLength, _, user in
            guard HTTP2Session.isRequestHeaders(frame), let name, let value else { return 0 }
            let accepted =
                HTTP2Session.owner(user).delegate.streamHeader(
                    frame!.pointee.hd.stream_id,
                    name: Span(_unsafeElements: UnsafeBufferPointer(start: name, count: nameLength)),
                    value: Span(_unsafeElements: UnsafeBufferPointer(start: value, count: valueLength)))
            return accepted ? 0 : Int32(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, user in
            guard let frame else { return 0 }
            let delegate = HTTP2Session.owner(user).delegate
            let id = frame.pointee.hd.stream_id
            let type = frame.pointee.hd.type
            if HTTP2Session.isRequestHeaders(frame) { delegate.streamHeadersComplete(id) }
            let endStream = frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
            if endStream, type == UInt8(NGHTTP2_HEADERS.rawValue) || type == UInt8(NGHTTP2_DATA.rawValue) {
                delegate.streamEnded(id)
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, id, data, length, user in
            guard let data else { return 0 }
            // Copied straight into the stream's buffer: a tiny DATA frame costs no allocation of its own.
            HTTP2Session.owner(user).delegate.streamData(id, length: length) { buffer in
                buffer.append(contentsOf: UnsafeBufferPointer(start: data, count: length))
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks) { _, frame, user in
            guard let frame else { return 0 }
            let type = frame.pointee.hd.type
            let endStream = frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
            if endStream, type == UInt8(NGHTTP2_HEADERS.rawValue) || type == UInt8(NGHTTP2_DATA.rawValue) {
                HTTP2Session.owner(user).delegate.streamResponseSent(frame.pointee.hd.stream_id)
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, id, errorCode, user in
            let this = HTTP2Session.owner(user)
            this.outboxes[id] = nil
            this.delegate.streamClosed(id, errorCode: errorCode)
            return 0
        }
    }
}
