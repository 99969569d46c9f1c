import Glibc
import Reactor
import Synchronization

/// The one listener that serves HTTP/1.1, HTTP/2 and gRPC: binds, runs a loop per core, and shuts down
/// gracefully (stop accepting, GOAWAY, let in-flight requests finish, bounded by a drain timeout).
public final class HTTPServer: @unchecked Sendable {
    public let group: EventLoopGroup
    private let services: ServerServices
    private var acceptors: [Acceptor] = []
    /// The address actually bound; `port` is the real one when 0 was asked for.
    public private(set) var port = 0

    public init(
        limits: ServerLimits = ServerLimits(), responder: any HTTPResponder,
        errorRenderer: ProtocolErrorRenderer = .plainText, loopCount: Int? = nil
    ) {
        group = loopCount.map { EventLoopGroup(count: $0) } ?? EventLoopGroup()
        services = ServerServices(limits: limits, responder: responder, errorRenderer: errorRenderer)
    }

    /// Binds `host:port`, starts the loops and returns once every loop accepts.
    public func start(host: String, port: Int) throws {
        let bound = try ListeningSocket.bind(host: host, port: port, count: group.loops.count)
        self.port = bound.port
        acceptors = zip(bound.fds, group.loops).map { fd, loop in
            Acceptor(listenFD: fd, loop: loop, services: services, loopCount: group.loops.count)
        }
        group.start()
        let started = Atomic<Int>(0)
        for (acceptor, loop) in zip(acceptors, group.loops) {
            nonisolated(unsafe) let acceptor = acceptor
            loop.execute {
                acceptor.start()
                started.add(1, ordering: .releasing)
            }
        }
        while started.load(ordering: .acquiring) < acceptors.count { sched_yield() }
    }

    /// Graceful stop: blocks until every connection closed or `drainTimeoutSeconds` passed, then stops the loops.
    public func shutdown(drainTimeoutSeconds: Double) {
        let remaining = Atomic<Int>(acceptors.count)
        let done = Locked<Bool>(false)
        for (acceptor, loop) in zip(acceptors, group.loops) {
            nonisolated(unsafe) let acceptor = acceptor
            loop.execute {
                acceptor.beginShutdown {
                    if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
                        done.withLock { $0 = true }
                    }
                }
            }
        }
        let deadline = MonotonicInstant.now().advanced(byNanoseconds: UInt64(drainTimeoutSeconds * 1e9))
        while !done.withLock({ $0 }), MonotonicInstant.now() < deadline { usleep(5_000) }
        for (acceptor, loop) in zip(acceptors, group.loops) {
            nonisolated(unsafe) let acceptor = acceptor
            loop.execute { acceptor.forceClose() }
        }
        group.shutdown()
    }
}
