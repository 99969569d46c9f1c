internal import CCurl
internal import CCurlShims
import Glibc
import Reactor
import Synchronization

/// One request on a curl easy handle: options in, response head out through a continuation, body out
/// through an `UpstreamBody`. Owned by its `CurlMulti`'s loop from `add` to `complete`.
///
/// Memory: the easy handle comes from the multi's pool in `init` and goes back to it when the transfer
/// finishes (`giveUpHandle`, which drops the body copy and the header list pointer, or resets the handle),
/// or is freed in `deinit` if it never ran; the header list is freed in `deinit`. curl copies the URL and
/// the request body (`COPYPOSTFIELDS`). curl reaches this object through unretained pointers
/// (`WRITEDATA`, `HEADERDATA`, `PRIVATE`), valid because `CurlMulti` retains it while curl holds the handle.
///
/// A reused handle keeps its options (curl's documented way to reuse one), so the options that never
/// change are set once, in `newHandle`, and `configure` sets every other option it ever uses on every
/// request — to its default when this request does not want it — so nothing of one request reaches the next.
final class CurlTransfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    /// Names this transfer in its multi's table, and is never reused: the body's callbacks and the deadline
    /// timer reach the transfer through it. (A weak reference would give the transfer a side table, which
    /// makes every retain and release of it take the runtime's slow path: ~1.5 k instructions a request.)
    let serial: UInt64
    private static let serials = Atomic<UInt64>(0)
    /// False once the finished transfer handed its easy handle back to the multi for the next request.
    private var ownsHandle = true
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// Shared with the consumer's `UpstreamBody`; the transfer never holds the body itself.
    let body: BodyChannel
    /// The task awaiting the head; set to nil before it is resumed, so it is resumed exactly once (unchecked:
    /// a checked continuation costs an allocation per request).
    private var head: UnsafeContinuation<Void, any Error>?
    /// The response head, handed from the loop to the awaiting task through a lock: the concurrency
    /// runtime's resume path is invisible to ThreadSanitizer, a pthread lock is not.
    private let arrivedHead = Locked<UpstreamResponse?>(nil)
    private var responseHeaders = ResponseHeaders()
    /// Our own first-token and idle timeouts (curl keeps the connect and total ones).
    var deadlines: TransferDeadlines
    /// Fires when one of `deadlines` may be due, at `armedAt`; owned by the multi.
    var deadlineTimer: ScheduledTimer?
    var armedAt: MonotonicInstant?
    private unowned let multi: CurlMulti
    /// Set when the transfer ended for a reason curl does not know (our timeouts, cancellation).
    var abortReason: GatewayError?
    /// Counts this transfer while it is alive (its client's count returns to zero when idle).
    private let live: Atomic<Int>.Counter

    init?(_ request: UpstreamRequest, multi: CurlMulti, live: Atomic<Int>.Counter) {
        guard let easy = multi.takeHandle() else { return nil }
        self.easy = easy
        deadlines = TransferDeadlines(timeouts: request.timeouts, streaming: request.streaming, startedAt: .now())
        self.multi = multi
        self.live = live
        // By serial, not by reference: the channel lives as long as its consumer, the transfer only while curl
        // runs it (CurlMulti's table holds it); a strong reference here would be a cycle that leaks every
        // transfer. Once the transfer left the table, these do nothing.
        let serial = CurlTransfer.serials.add(1, ordering: .relaxed).newValue
        self.serial = serial
        body = BodyChannel(loop: multi.loop, transfer: Control(multi: multi, serial: serial))
        live.increment()
        configure(request)
    }

    /// How the body reaches this transfer: by its multi and serial. Two words, held inline by the channel
    /// (three closures were three allocations per request).
    private struct Control: TransferControl {
        let multi: CurlMulti
        let serial: UInt64

        func resume() { multi.unpause(serial) }
        func cancel() { multi.cancel(serial) }
        func contentStarted() { multi.contentStarted(serial) }
    }

    deinit {
        live.decrement()
        if ownsHandle { curl_easy_cleanup(easy) }
        curl_slist_free_all(headerList)
    }

    /// A new easy handle with the options every transfer shares (the callbacks reach their transfer through
    /// `WRITEDATA` / `HEADERDATA`, set per request).
    static func newHandle() -> UnsafeMutableRawPointer? {
        guard let easy = curl_easy_init() else { return nil }
        setSharedOptions(easy)
        return easy
    }

    private static func setSharedOptions(_ easy: UnsafeMutableRawPointer) {
        _ = cshim_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = cshim_curl_easy_setopt_long(easy, CURLOPT_TCP_NODELAY, 1)
        _ = cshim_curl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = cshim_curl_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, CurlTransfer.onBody)
        _ = cshim_curl_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION, CurlTransfer.onHeader)
        // Bodies are always given whole (`COPYPOSTFIELDS`); curl's default reader would read our stdin.
        _ = cshim_curl_easy_setopt_data_callback(easy, CURLOPT_READFUNCTION, CurlTransfer.noBody)
        if !proxyVariablesSet {
            // Empty strings mean "no proxy" and "no exceptions" to curl, exactly what it concludes from an
            // environment without proxy variables, but without reading the environment on every request
            // (five `getenv` walks). With any of them set, curl keeps reading them itself.
            _ = cshim_curl_easy_setopt_string(easy, CURLOPT_PROXY, "")
            _ = cshim_curl_easy_setopt_string(easy, CURLOPT_NOPROXY, "")
        }
    }

    /// Whether the process started with any variable curl reads to choose a proxy.
    private static let proxyVariablesSet = [String]([
        "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY",
    ]).contains { getenv($0) != nil }

    /// Sets every per-request option, each one on every request (see the type's comment).
    private func configure(_ request: UpstreamRequest) {
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = cshim_curl_easy_setopt_string(easy, CURLOPT_URL, request.url)
        _ = cshim_curl_easy_setopt_pointer(easy, CURLOPT_CURLU, ParsedURLs.shared.parsed(request.url))
        _ = cshim_curl_easy_setopt_pointer(easy, CURLOPT_PRIVATE, me)
        _ = cshim_curl_easy_setopt_closesocket_callback(easy, CurlMulti.onCloseSocket)
        _ = cshim_curl_easy_setopt_pointer(easy, CURLOPT_CLOSESOCKETDATA, Unmanaged.passUnretained(multi).toOpaque())
        _ = cshim_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me)
        _ = cshim_curl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me)
        // 0 is curl's "its default" for both: 300 s to connect, no total limit.
        _ = cshim_curl_easy_setopt_long(
            easy, CURLOPT_CONNECTTIMEOUT_MS, request.timeouts.connect.map { Int($0 * 1000) } ?? 0)
        _ = cshim_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, request.timeouts.total.map { Int($0 * 1000) } ?? 0)
        if request.method == "POST" {
            _ = cshim_curl_easy_setopt_long(easy, CURLOPT_POSTFIELDSIZE, request.body.count)
            if request.body.isEmpty {
                _ = cshim_curl_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, "")
            } else {
                request.body.withUnsafeBytes {
                    _ = cshim_curl_easy_setopt_pointer(
                        easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress))
                }
            }
        } else {
            _ = cshim_curl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1)
        }
        let custom = request.method == "GET" || request.method == "POST" ? nil : request.method
        _ = cshim_curl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, custom)
        // Each line is built in one reused buffer (curl copies it): no String per header.
        var line: [UInt8] = []
        line.reserveCapacity(256)
        for (name, value) in request.headers {
            line.removeAll(keepingCapacity: true)
            line.appendUTF8(name)
            line.appendBytes(": ")
            line.appendUTF8(value)
            line.append(0)
            line.withUnsafeBytes {
                headerList = curl_slist_append(headerList, $0.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
        }
        // curl adds "Expect: 100-continue" to large POSTs (over 1 MiB; 1 KiB in older curls); providers answer
        // without it, and it costs a round trip. Only said when it applies: curl searches the list for each header
        // it may add.
        if request.body.count > 1024 { headerList = curl_slist_append(headerList, "expect:") }
        // Nor its "Accept: */*", which says nothing: curl formats each header byte by byte (~150 instructions a
        // byte), so a line saved is ~2 k instructions per request.
        headerList = curl_slist_append(headerList, "accept:")
        _ = cshim_curl_easy_setopt_pointer(easy, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headerList))
    }

    /// Suspends until the response head arrives (or the transfer fails first). Called before `start`.
    func awaitHead(start: () -> Void) async throws -> UpstreamResponse {
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                // A call cancelled before it starts never starts (the cancel handler ran first and found
                // no transfer to abort; the provider would have generated to the end for nobody).
                guard !Task.isCancelled else {
                    return continuation.resume(throwing: GatewayError(.cancelled, "the request was cancelled"))
                }
                head = continuation
                start()
            }
            return arrivedHead.withLock { $0.take()! }
        } onCancel: {
            body.abort(GatewayError(.cancelled, "the request was cancelled"))
        }
    }

    // MARK: curl callbacks (on the multi's loop)

    private static func owner(_ user: UnsafeMutableRawPointer?) -> CurlTransfer {
        Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
    }

    private static let onHeader: cshim_curl_data_callback = { data, size, count, user in
        let length = size * count
        let taken = CurlTransfer.owner(user).headerLine(UnsafeRawBufferPointer(start: data, count: length))
        return taken ? length : 0  // anything but `length` makes curl end the transfer
    }

    private static let noBody: cshim_curl_data_callback = { _, _, _, _ in 0 }

    /// The most response head a provider may send (an endless head would grow until the total timeout).
    static let maxHeadBytes = 64 * 1024

    /// One line of the response head, straight from curl's buffer; the blank line ends the head. False when
    /// the head grew past `maxHeadBytes`.
    private func headerLine(_ line: UnsafeRawBufferPointer) -> Bool {
        guard responseHeaders.byteCount + line.count <= Self.maxHeadBytes else {
            abortReason = GatewayError(
                .providerError, "the provider's response head exceeded \(Self.maxHeadBytes) bytes")
            return false
        }
        if responseHeaders.take(line: line) { return true }
        var code = 0
        _ = cshim_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
        if code >= 200 { resolveHead(status: code) } else { responseHeaders.removeAll() }
        return true
    }

    private func resolveHead(status: Int) {
        guard let head else { return }
        self.head = nil
        deadlines.headArrived(at: .now())
        multi.rearmIfEarlier(self)
        let response = UpstreamResponse(status: status, headers: responseHeaders, body: UpstreamBody(channel: body))
        arrivedHead.withLock { $0 = response }
        head.resume()
    }

    private static let onBody: cshim_curl_data_callback = { data, size, count, user in
        let transfer = CurlTransfer.owner(user)
        let length = size * count
        // A view of curl's buffer, valid for this call: the body copies what it keeps.
        let bytes = Swift.Span(
            _unsafeElements: UnsafeBufferPointer(
                start: UnsafeRawPointer(data)?.assumingMemoryBound(to: UInt8.self), count: length))
        guard transfer.body.offer(bytes) else { return cshim_curl_writefunc_pause() }
        transfer.deadlines.dataArrived(at: .now())
        return length
    }

    /// Gives the easy handle up for reuse; called by the multi once the transfer is finished and removed.
    /// Drops what the handle holds of this request: the body's copy (which may be large) and the pointer to
    /// the header list this transfer frees. A transfer that failed or opened a connection resets the handle
    /// whole: curl keeps a few counters across the transfers of a handle that only `curl_easy_reset` clears
    /// (the retries of dead reused connections among them, which would otherwise add up over the handle's
    /// life until one request fails). In the steady state — a clean answer on a kept-alive connection —
    /// there is nothing of that kind to clear, and the reset is skipped.
    func giveUpHandle(_ code: CURLcode) -> UnsafeMutableRawPointer {
        ownsHandle = false
        var connects = 0
        _ = cshim_curl_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connects)
        if code != CURLE_OK || abortReason != nil || connects > 0 {
            curl_easy_reset(easy)
            Self.setSharedOptions(easy)
        } else {
            _ = cshim_curl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, nil)
            _ = cshim_curl_easy_setopt_pointer(easy, CURLOPT_HTTPHEADER, nil)
        }
        return easy
    }

    /// Ends the transfer: fails the head if it never came, and closes the body.
    func complete(_ code: CURLcode) {
        let failure = abortReason ?? (code == CURLE_OK ? nil : classify(code))
        if let head {
            self.head = nil
            head.resume(throwing: failure ?? GatewayError(.providerError, "the provider closed without a response"))
        }
        body.finish(failure)
    }

    /// The one place curl's errors become domain errors.
    private func classify(_ code: CURLcode) -> GatewayError {
        let reason = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return GatewayError(.noProviderAvailable, "provider unreachable: \(reason)")
        case CURLE_OPERATION_TIMEDOUT:
            var connected = 0
            _ = cshim_curl_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connected)
            if connected == 0, deadlines.timeouts.connect != nil {
                return GatewayError(.providerTimeout, "provider connect timeout")
            }
            if deadlines.timeouts.totalIsClientDeadline {
                // curl's total was cut to the client's own deadline: the client's clock ran out, not the
                // provider's, so this is no provider failure (no failover, no circuit-breaker count).
                return GatewayError(.deadlineExceeded, "the request's deadline passed while the provider answered")
            }
            return GatewayError(.providerTimeout, "provider total timeout")
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM:
            return GatewayError(.providerError, "TLS failure talking to the provider: \(reason)")
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE, CURLE_GOT_NOTHING, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            return GatewayError(.providerError, "the provider's connection broke: \(reason)")
        default:
            return GatewayError(.providerError, "provider request failed: \(reason)")
        }
    }
}
