internal import CShims
import Glibc
import Reactor

/// One loop's listening socket and the connections it accepted; sweeps them for timeouts once a second.
final class Acceptor: FDWatcher {
    private let listenFD: Int32
    private unowned let loop: EventLoop
    private let services: ServerServices
    private let workers: RequestWorkers
    private var connections: [ObjectIdentifier: Connection] = [:]
    private var listening = true
    /// True while accepting is paused: at the connection cap, or out of descriptors.
    private var acceptPaused = false
    private var resumeTimer: ScheduledTimer?
    /// This loop's share of `ServerLimits.maxConnections`.
    private let maxConnections: Int
    private var sweepTimer: ScheduledTimer?
    private var onDrained: (() -> Void)?

    init(listenFD: Int32, loop: EventLoop, services: ServerServices, loopCount: Int) {
        self.listenFD = listenFD
        self.loop = loop
        self.services = services
        workers = RequestWorkers(loop: loop, responder: services.responder)
        maxConnections = max(1, (services.limits.maxConnections + loopCount - 1) / loopCount)
    }

    /// Must run on the loop.
    func start() {
        loop.register(listenFD, events: UInt32(EPOLLIN.rawValue), watcher: self)
        scheduleSweep()
    }

    func handleEvents(_ events: UInt32) {
        // Bounded, so a flood of new connections cannot starve the ones already open.
        for _ in 0..<64 {
            guard listening, !acceptPaused else { return }
            guard connections.count < maxConnections else { return pauseAccepting(retryAfterNanoseconds: nil) }
            switch Syscall.accept(listenFD) {
            case .none:
                return
            case .outOfResources:
                // Left queued, the connection keeps the socket readable: wait rather than spin on it.
                return pauseAccepting(retryAfterNanoseconds: 100_000_000)
            case .connection(let fd):
                let connection = Connection(fd: fd, loop: loop, services: services, workers: workers)
                connections[ObjectIdentifier(connection)] = connection
                connection.onClose = { [unowned self] closed in self.connectionClosed(closed) }
                connection.start()
            }
        }
    }

    /// Stops watching the listening socket; new connections wait in the kernel's backlog until a
    /// connection closes (at the cap) or the retry delay passes (out of descriptors).
    private func pauseAccepting(retryAfterNanoseconds delay: UInt64?) {
        guard !acceptPaused else { return }
        acceptPaused = true
        loop.modify(listenFD, events: 0)
        if let delay {
            resumeTimer = loop.schedule(afterNanoseconds: delay) { [weak self] in self?.resumeAccepting() }
        }
    }

    private func resumeAccepting() {
        resumeTimer?.cancel()
        resumeTimer = nil
        guard acceptPaused, listening else { return }
        acceptPaused = false
        loop.modify(listenFD, events: UInt32(EPOLLIN.rawValue))
    }

    private func connectionClosed(_ connection: Connection) {
        connections[ObjectIdentifier(connection)] = nil
        if acceptPaused, resumeTimer == nil { resumeAccepting() }
        if !listening, connections.isEmpty, let done = onDrained {
            onDrained = nil
            done()
        }
    }

    private func scheduleSweep() {
        sweepTimer = loop.schedule(afterNanoseconds: 1_000_000_000) { [weak self] in
            guard let self else { return }
            let now = MonotonicInstant.now()
            for connection in Array(self.connections.values) { connection.checkTimeouts(now: now) }
            self.scheduleSweep()
        }
    }

    /// Stops accepting and asks every connection to finish; `done` runs once all are closed.
    func beginShutdown(done: @escaping () -> Void) {
        if listening {
            listening = false
            loop.unregister(listenFD)
            Syscall.close(listenFD)
        }
        onDrained = done
        if connections.isEmpty {
            onDrained = nil
            return done()
        }
        for connection in Array(connections.values) { connection.beginGracefulShutdown() }
    }

    /// Closes whatever is still open when the drain time is over.
    func forceClose() {
        sweepTimer?.cancel()
        resumeTimer?.cancel()
        for connection in Array(connections.values) { connection.close() }
        workers.stop()
    }
}
