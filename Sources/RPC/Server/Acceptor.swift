internal import CShims
import Glibc
import Reactor

/// One loop's listening socket and the connections it accepted; sweeps them for timeouts once a second.
final class Acceptor: FDWatcher {
    private let listenFD: Int32
    private unowned let loop: EventLoop
    private let services: ServerServices
    private var connections: [ObjectIdentifier: Connection] = [:]
    private var listening = true
    private var sweepTimer: ScheduledTimer?
    private var onDrained: (() -> Void)?

    init(listenFD: Int32, loop: EventLoop, services: ServerServices) {
        self.listenFD = listenFD
        self.loop = loop
        self.services = services
    }

    /// Must run on the loop.
    func start() {
        loop.register(listenFD, events: UInt32(EPOLLIN.rawValue), watcher: self)
        scheduleSweep()
    }

    func handleEvents(_ events: UInt32) {
        // Bounded, so a flood of new connections cannot starve the ones already open.
        for _ in 0..<64 {
            guard listening, let fd = Syscall.accept(listenFD) else { return }
            let connection = Connection(fd: fd, loop: loop, services: services)
            connections[ObjectIdentifier(connection)] = connection
            connection.onClose = { [unowned self] closed in self.connectionClosed(closed) }
            connection.start()
        }
    }

    private func connectionClosed(_ connection: Connection) {
        connections[ObjectIdentifier(connection)] = nil
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
        for connection in Array(connections.values) { connection.close() }
    }
}
