internal import CCurl
internal import CCurlShims
import Glibc
import Reactor

/// A libcurl multi handle driven by one event loop: curl's sockets sit in the loop's epoll set and its
/// timer in the loop's timer queue, so a provider's bytes arrive on the thread that serves the client,
/// with connections to each provider kept alive and reused per loop.
///
/// Loop-confined: the transfers table, every easy handle and every curl call stay on `loop`; calls from
/// other threads (a cancelling task, a caller on no loop) hop there first.
///
/// Memory: curl reaches this object through an unretained pointer (`SOCKETDATA`, `TIMERDATA`, each
/// transfer's `CLOSESOCKETDATA`), valid because a multi lives as long as its loop (`EventLoop.local`) or
/// the process (`standby`).
final class CurlMulti: @unchecked Sendable {
    let loop: EventLoop
    private let multi: UnsafeMutableRawPointer
    /// The transfers curl runs, by `CurlTransfer.serial`.
    private var transfers: [UInt64: CurlTransfer] = [:]
    private var sockets: [Int32: CurlSocket] = [:]
    private var timer: ScheduledTimer?
    /// Counts curl's timer requests, so that a wake-up queued for an earlier one knows it was replaced.
    private var timerSetting = 0
    /// The setting the queued immediate wake-up is for, and whether one is queued.
    private var immediateSetting = -1
    private var immediateQueued = false
    /// Finished easy handles kept for the next requests (as addresses: a pointer is not Sendable). Reusing
    /// one saves allocating curl's per-handle state and setting the options that never change.
    private let idleHandles = Locked<[UInt]>([])
    private static let maxIdleHandles = 256

    /// The multi of the calling thread's event loop; callers on no loop (probes, tests) share a standby loop.
    static func current() -> CurlMulti {
        guard let loop = EventLoop.current else { return standby }
        return loop.local { CurlMulti(loop: loop) }
    }

    /// The loop of callers on no loop (background work starts there: `BackgroundTask`).
    static var standbyLoop: EventLoop { standby.loop }

    private static let standby: CurlMulti = {
        let group = EventLoopGroup(count: 1)
        group.start()
        return CurlMulti(loop: group.loops[0])
    }()

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_ALL)) }()

    private init(loop: EventLoop) {
        Self.globalInit
        self.loop = loop
        multi = curl_multi_init()!
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = cshim_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 512)
        _ = cshim_curl_multi_setopt_pointer(multi, CURLMOPT_SOCKETDATA, me)
        _ = cshim_curl_multi_setopt_pointer(multi, CURLMOPT_TIMERDATA, me)
        _ = cshim_curl_multi_setopt_socket_callback(multi, CurlMulti.onSocket)
        _ = cshim_curl_multi_setopt_timer_callback(multi, CurlMulti.onTimer)
    }

    // MARK: commands (any thread)

    /// An easy handle for a new transfer: a reused one when there is one.
    func takeHandle() -> UnsafeMutableRawPointer? {
        if let address = idleHandles.withLock({ $0.popLast() }) { return UnsafeMutableRawPointer(bitPattern: address) }
        return CurlTransfer.newHandle()
    }

    func add(_ transfer: CurlTransfer) {
        // Called on the loop nearly always: then without a closure (an escaping one is an allocation).
        guard loop.inEventLoop else { return loop.execute { self.start(transfer) } }
        start(transfer)
    }

    private func start(_ transfer: CurlTransfer) {
        // Cancelled between asking and getting here (on another thread): it must not start at all.
        guard !transfer.body.isClosed else {
            transfer.abortReason = GatewayError(.cancelled, "the request was cancelled")
            return transfer.complete(CURLE_ABORTED_BY_CALLBACK)
        }
        transfers[transfer.serial] = transfer
        curl_multi_add_handle(multi, transfer.easy)
        armDeadline(of: transfer)
    }

    /// Ends the transfer `serial` names, if curl still runs it.
    func cancel(_ serial: UInt64) {
        onLoop {
            guard let transfer = self.transfers[serial] else { return }
            transfer.abortReason = transfer.abortReason ?? GatewayError(.cancelled, "the request was cancelled")
            self.finish(transfer, code: CURLE_ABORTED_BY_CALLBACK)
        }
    }

    /// Resumes the paused transfer `serial` names (its consumer read what was buffered), if curl still runs it.
    func unpause(_ serial: UInt64) {
        onLoop {
            guard let transfer = self.transfers[serial] else { return }
            curl_easy_pause(transfer.easy, cshim_curlpause_cont())
        }
    }

    /// Runs `body` on the loop: at once when already there. Never called from inside a curl callback, where
    /// curl must not be re-entered (the callbacks only record what curl asked for).
    private func onLoop(_ body: @escaping @Sendable () -> Void) {
        if loop.inEventLoop { body() } else { loop.execute(body) }
    }

    // MARK: driving curl (on the loop)

    private static let onSocket: cshim_curl_socket_callback = { _, fd, what, user, _ in
        Unmanaged<CurlMulti>.fromOpaque(user!).takeUnretainedValue().watch(fd, what: what)
        return 0
    }

    private static let onTimer: cshim_curl_timer_callback = { _, milliseconds, user in
        Unmanaged<CurlMulti>.fromOpaque(user!).takeUnretainedValue().setTimer(milliseconds: milliseconds)
        return 0
    }

    /// curl tells which of its sockets to watch for what; they join the loop's epoll set.
    ///
    /// A socket curl stops watching is parked, not taken out of the set: it is nearly always a kept-alive
    /// connection the next transfer asks for again, and out and back in would be two `epoll_ctl` calls per
    /// request. A parked socket leaves the set when something happens on it (the provider closed it: curl
    /// finds that out itself before reusing it) or when curl closes it (`onCloseSocket`).
    private func watch(_ fd: Int32, what: Int32) {
        loop.assertOnLoop()
        if what == CURL_POLL_REMOVE {
            sockets[fd]?.isParked = true
            return
        }
        var events: UInt32 = 0
        if what & CURL_POLL_IN != 0 { events |= EventLoop.readEvents }
        if what & CURL_POLL_OUT != 0 { events |= EventLoop.writeEvents }
        if let socket = sockets[fd] {
            socket.isParked = false
            if socket.events == events { return }
            // Only modified, unless its number was closed and reused unseen (then it is new).
            if loop.modify(fd, events: events) { return socket.events = events }
        }
        let socket = CurlSocket(fd: fd, events: events, multi: self)
        sockets[fd] = socket
        loop.register(fd, events: events, watcher: socket)
    }

    /// How many sockets are in the epoll set, parked ones included (tests check that one curl closed is not).
    func socketsWatched() async throws -> Int {
        try await loop.run { self.sockets.count }
    }

    /// Takes a socket out of the epoll set (curl is done with it, or it was parked and something happened).
    fileprivate func forget(_ fd: Int32) {
        loop.assertOnLoop()
        if sockets.removeValue(forKey: fd) != nil { loop.unregister(fd) }
    }

    /// curl closes `fd`: it leaves the epoll set first, while its number is still this socket's. Set on every
    /// transfer, with this multi as its data (`CLOSESOCKETDATA`); curl keeps both with each connection.
    static let onCloseSocket: cshim_curl_closesocket_callback = { user, fd in
        Unmanaged<CurlMulti>.fromOpaque(user!).takeUnretainedValue().forget(fd)
        return close(fd)
    }

    /// curl asks to be woken after `milliseconds` (-1: never); one timer per multi, replaced each time.
    private func setTimer(milliseconds: Int) {
        loop.assertOnLoop()
        timer?.cancel()
        timer = nil
        timerSetting &+= 1
        guard milliseconds >= 0 else { return }
        guard milliseconds > 0 else {
            // Due at once (every new transfer asks this): run as the loop's next queued work, rather than as a
            // timer, which costs the loop a poll of its sockets (an `epoll_wait` call) before it fires. One
            // wake-up queued at a time, for the latest such setting.
            immediateSetting = timerSetting
            if !immediateQueued {
                immediateQueued = true
                loop.execute(immediateWake)
            }
            return
        }
        timer = loop.schedule(afterNanoseconds: UInt64(milliseconds) * 1_000_000, timerFired)
    }

    /// What curl's timer runs when it fires: made once (a closure per setting was an allocation each time
    /// curl asked, ~2.5 times per request with the immediate ones).
    private lazy var timerFired: () -> Void = { [unowned self] in
        self.timer = nil
        self.act(on: cshim_curl_socket_timeout(), mask: 0)
    }

    /// The queued wake-up of a timer due at once: acts unless curl replaced or cleared that setting since.
    private lazy var immediateWake: @Sendable () -> Void = { [unowned self] in
        self.immediateQueued = false
        guard self.immediateSetting == self.timerSetting else { return }
        self.act(on: cshim_curl_socket_timeout(), mask: 0)
    }

    fileprivate func socketReady(_ fd: Int32, events: UInt32) {
        loop.assertOnLoop()
        var mask: Int32 = 0
        if events & (EventLoop.readEvents | EventLoop.hangupEvents) != 0 { mask |= CURL_CSELECT_IN }
        if events & EventLoop.writeEvents != 0 { mask |= CURL_CSELECT_OUT }
        if events & EventLoop.errorEvents != 0 { mask |= CURL_CSELECT_ERR }
        act(on: fd, mask: mask)
    }

    private func act(on fd: Int32, mask: Int32) {
        loop.assertOnLoop()
        var running: Int32 = 0
        curl_multi_socket_action(multi, fd, mask, &running)
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            var raw: UnsafeMutableRawPointer?
            _ = cshim_curl_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &raw)
            finish(Unmanaged<CurlTransfer>.fromOpaque(raw!).takeUnretainedValue(), code: message.pointee.data.result)
        }
    }

    /// The consumer saw the answer's first content: the first-token deadline is met, the idle one runs.
    func contentStarted(_ serial: UInt64) {
        onLoop {
            guard let transfer = self.transfers[serial] else { return }
            transfer.deadlines.contentStarted(at: .now())
            self.rearmIfEarlier(transfer)
        }
    }

    /// Our own timeouts (first token, idle) fire from a loop timer per transfer, re-armed lazily: data moves
    /// the idle deadline on, and the timer only looks again when it fires.
    private func armDeadline(of transfer: CurlTransfer) {
        loop.assertOnLoop()
        guard let next = transfer.deadlines.next else { return }
        transfer.armedAt = next.at
        let serial = transfer.serial
        transfer.deadlineTimer = loop.schedule(at: next.at) { [unowned self] in
            guard let transfer = self.transfers[serial] else { return }
            if let due = transfer.deadlines.next, due.at <= .now() {
                transfer.abortReason = transfer.deadlines.error(due.kind)
                self.finish(transfer, code: CURLE_OPERATION_TIMEDOUT)
            } else {
                self.armDeadline(of: transfer)
            }
        }
    }

    /// Moves the timer earlier when a deadline now falls before it (the answer started, and the idle
    /// timeout is shorter than what was left of the first-token one). On the loop.
    func rearmIfEarlier(_ transfer: CurlTransfer) {
        loop.assertOnLoop()
        guard let next = transfer.deadlines.next, let armed = transfer.armedAt, next.at < armed else { return }
        transfer.deadlineTimer?.cancel()
        armDeadline(of: transfer)
    }

    /// Removes the handle (an unfinished transfer's connection is closed, not reused) and settles it.
    private func finish(_ transfer: CurlTransfer, code: CURLcode) {
        loop.assertOnLoop()
        guard transfers.removeValue(forKey: transfer.serial) != nil else { return }
        transfer.deadlineTimer?.cancel()
        transfer.deadlineTimer = nil
        curl_multi_remove_handle(multi, transfer.easy)
        transfer.complete(code)
        let easy = transfer.giveUpHandle(code)
        let kept = idleHandles.withLock { idle in
            guard idle.count < Self.maxIdleHandles else { return false }
            idle.append(UInt(bitPattern: easy))
            return true
        }
        if !kept { curl_easy_cleanup(easy) }
    }
}

/// One of curl's sockets in the loop's epoll set; its readiness goes back to curl.
private final class CurlSocket: FDWatcher {
    let fd: Int32
    /// What the epoll set watches it for.
    var events: UInt32
    /// curl watches it no more, but it stays in the set (see `CurlMulti.watch`).
    var isParked = false
    unowned let multi: CurlMulti

    init(fd: Int32, events: UInt32, multi: CurlMulti) {
        self.fd = fd
        self.events = events
        self.multi = multi
    }

    func handleEvents(_ events: UInt32) {
        if isParked { return multi.forget(fd) }
        multi.socketReady(fd, events: events)
    }
}
