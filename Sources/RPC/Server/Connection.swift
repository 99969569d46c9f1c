internal import CShims
import Glibc
import Reactor

/// One accepted TCP connection: it owns the socket and the outbound buffer, decides the protocol from the
/// first bytes (the HTTP/2 preface, or else HTTP/1.1), and batches writes to once per loop tick.
///
/// Loop-confined: every entry asserts it runs on `loop` (debug builds).
final class Connection: FDWatcher, TickEndObserver {
    /// Where the connection is in its life.
    enum Lifecycle: Equatable {
        case open
        /// Finishing what it has, taking nothing new (server shutdown, idle timeout).
        case shuttingDown
        case closed
    }

    /// What the connection asks epoll to report.
    struct Interest: Equatable {
        /// False while reading is paused until the outbound buffer drains.
        var readable = true
        /// True while output waits on a full socket.
        var writable = false
    }

    static let http2Preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    let fd: Int32
    unowned let loop: EventLoop
    let services: ServerServices
    /// The tasks that run this loop's request handlers.
    let workers: RequestWorkers
    private var proto: ConnectionProtocol?
    private var sniffed: [UInt8] = []
    private var outbound: [UInt8] = []
    private var outboundStart = 0
    private var interest = Interest()
    private(set) var lifecycle = Lifecycle.open
    private var flushScheduled = false
    /// Set once the outbound buffer was seen over the high watermark; cleared when it drains below it.
    private var drainNoticeOwed = false
    private var lastActivity = MonotonicInstant.now()
    private var firstByteAt: MonotonicInstant?
    /// Since when output has waited on a socket that took none of it; nil while writes go through.
    private var writeStalledSince: MonotonicInstant?
    var onClose: ((Connection) -> Void)?

    init(fd: Int32, loop: EventLoop, services: ServerServices, workers: RequestWorkers) {
        self.fd = fd
        self.loop = loop
        self.services = services
        self.workers = workers
    }

    func start() {
        Syscall.setNoDelay(fd)
        loop.register(fd, events: EventLoop.readEvents, watcher: self)
    }

    var isClosed: Bool { lifecycle == .closed }
    private var readingPaused: Bool { !interest.readable }

    var outboundBytes: Int { outbound.count - outboundStart }
    var isOverHighWatermark: Bool { outboundBytes >= services.limits.outboundHighWatermark }

    /// Queues bytes for the socket; they go out at the end of this loop tick.
    func write<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        write { $0.append(contentsOf: bytes) }
    }

    /// Queues what `append` adds to the outbound buffer (framing written in place, with no copy of its own).
    func write(_ append: (inout [UInt8]) -> Void) {
        loop.assertOnLoop()
        guard !isClosed else { return }
        append(&outbound)
        if isOverHighWatermark { drainNoticeOwed = true }
        scheduleFlush()
    }

    /// Lets a protocol append frames straight into the outbound buffer (no intermediate copy).
    func withOutbound(_ body: (inout [UInt8]) -> Void) {
        loop.assertOnLoop()
        guard !isClosed else { return }
        body(&outbound)
    }

    func scheduleFlush() {
        guard !flushScheduled, !isClosed else { return }
        flushScheduled = true
        loop.notifyAtTickEnd(self)
    }

    func loopTickEnded() {
        flushScheduled = false
        flush()
    }

    // MARK: events

    func handleEvents(_ events: UInt32) {
        loop.assertOnLoop()
        if events & UInt32(EPOLLOUT.rawValue) != 0 { flush() }
        if events & ~UInt32(EPOLLOUT.rawValue) != 0, !isClosed { readAvailable() }
    }

    private func readAvailable() {
        // A few reads per event, so one busy connection cannot monopolise the loop.
        for _ in 0..<4 {
            switch Syscall.read(fd, into: &loop.readBuffer) {
            case .transferred(let count):
                lastActivity = .now()
                if firstByteAt == nil { firstByteAt = lastActivity }
                guard deliver(loop.readBuffer[0..<count]) else { return close() }
                if isClosed || readingPaused || count < loop.readBuffer.count { return scheduleFlush() }
            case .wouldBlock:
                return scheduleFlush()
            case .endOfFile, .failed:
                return close()
            }
        }
        scheduleFlush()
    }

    private func deliver(_ bytes: ArraySlice<UInt8>) -> Bool {
        if let proto { return proto.receive(bytes) }
        sniffed.append(contentsOf: bytes)
        let prefix = Connection.http2Preface.prefix(sniffed.count)
        if sniffed.starts(with: prefix), sniffed.count < Connection.http2Preface.count {
            return true  // still could be HTTP/2: wait for the rest of the preface
        }
        let chosen: ConnectionProtocol
        if sniffed.starts(with: Connection.http2Preface) {
            guard let session = HTTP2Connection(connection: self) else { return false }
            chosen = session
        } else {
            chosen = HTTP1Connection(connection: self)
        }
        proto = chosen
        if lifecycle == .shuttingDown { chosen.beginGracefulShutdown() }
        let first = sniffed
        sniffed = []
        return chosen.receive(first[...])
    }

    // MARK: output

    private func flush() {
        guard !isClosed else { return }
        // Read once: each access of the stored existential retains and releases it.
        let proto = self.proto
        proto?.produceOutput()
        if isOverHighWatermark { drainNoticeOwed = true }
        while outboundStart < outbound.count {
            switch Syscall.write(fd, outbound[outboundStart...]) {
            case .transferred(let count):
                outboundStart += count
                writeStalledSince = nil
            case .wouldBlock:
                if writeStalledSince == nil { writeStalledSince = .now() }
                if outboundStart >= services.limits.outboundHighWatermark {
                    // Drop what was sent, so a steady slow reader cannot make the buffer grow at its head.
                    outbound.removeSubrange(0..<outboundStart)
                    outboundStart = 0
                }
                setWritableInterest(true)
                return noticeDrainIfBelowWatermark()
            case .endOfFile, .failed:
                return close()
            }
        }
        outbound.removeAll(keepingCapacity: outbound.capacity <= 1 << 20)
        outboundStart = 0
        writeStalledSince = nil
        // More is ready: come back when epoll next reports the socket writable (at once, being level-
        // triggered), so a long response shares the loop with other connections.
        setWritableInterest(proto?.hasPendingOutput ?? false)
        noticeDrainIfBelowWatermark()
        if readingPaused, proto?.acceptsInput ?? true { resumeReading() }
        if proto?.isFinished == true || (proto == nil && lifecycle == .shuttingDown) { close() }
    }

    private func noticeDrainIfBelowWatermark() {
        guard drainNoticeOwed, !isOverHighWatermark, !isClosed else { return }
        drainNoticeOwed = false
        proto?.outboundDrained()
    }

    private func setWritableInterest(_ wanted: Bool) {
        guard wanted != interest.writable else { return }
        interest.writable = wanted
        updateInterest()
    }

    /// Stops reading requests until the outbound buffer drains (a client that sends without reading).
    func pauseReading() {
        loop.assertOnLoop()
        guard interest.readable else { return }
        interest.readable = false
        updateInterest()
    }

    func resumeReading() {
        loop.assertOnLoop()
        guard !interest.readable else { return }
        interest.readable = true
        updateInterest()
    }

    private func updateInterest() {
        guard !isClosed else { return }
        var events: UInt32 = interest.readable ? EventLoop.readEvents : 0
        if interest.writable { events |= EventLoop.writeEvents }
        loop.modify(fd, events: events)
    }

    // MARK: lifecycle

    /// Called by the acceptor's periodic sweep.
    func checkTimeouts(now: MonotonicInstant) {
        loop.assertOnLoop()
        guard !isClosed else { return }
        let limits = services.limits
        let headerDeadlineNs = UInt64(limits.headerReadTimeoutSeconds * 1e9)
        let headStart = proto == nil ? firstByteAt : proto!.requestHeadStartedAt
        if let headStart, headStart.nanoseconds(until: now) > headerDeadlineNs {
            guard let proto else { return close() }
            proto.requestHeadTimedOut()
            return scheduleFlush()
        }
        if let since = writeStalledSince,
            since.nanoseconds(until: now) > UInt64(limits.writeTimeoutSeconds * 1e9)
        {
            // The peer stopped reading: nothing buffered for it will ever be sent, so reset rather than close.
            Syscall.setResetOnClose(fd)
            return close()
        }
        if let proto {
            proto.expireStalled(now: now)
            if readingPaused, proto.acceptsInput { resumeReading() }
        }
        let active = proto?.hasActiveRequests ?? false
        if !active, lastActivity.nanoseconds(until: now) > UInt64(limits.idleTimeoutSeconds * 1e9) {
            if let proto { proto.beginGracefulShutdown(); scheduleFlush() } else { close() }
        }
    }

    func markActivity() { lastActivity = .now() }

    func beginGracefulShutdown() {
        loop.assertOnLoop()
        if lifecycle == .open { lifecycle = .shuttingDown }
        if let proto { proto.beginGracefulShutdown() }
        scheduleFlush()
    }

    func close() {
        loop.assertOnLoop()
        guard !isClosed else { return }
        lifecycle = .closed
        loop.unregister(fd)
        Syscall.close(fd)
        outbound = []
        proto?.connectionClosed()
        proto = nil
        onClose?(self)
        onClose = nil
    }
}
