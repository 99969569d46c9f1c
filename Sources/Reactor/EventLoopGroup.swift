import Glibc

/// A fixed set of event loops, one per core, each on its own thread.
public final class EventLoopGroup: @unchecked Sendable {
    public let loops: [EventLoop]
    private var threads: [pthread_t] = []

    public init(count: Int = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) {
        loops = (0..<max(1, count)).map { _ in EventLoop() }
    }

    /// Starts each loop on a new thread.
    public func start() {
        for loop in loops {
            let box = Unmanaged.passRetained(loop).toOpaque()
            var thread = pthread_t()
            let rc = pthread_create(
                &thread, nil,
                { raw in
                    let loop = Unmanaged<EventLoop>.fromOpaque(raw!).takeRetainedValue()
                    loop.run()
                    return nil
                }, box)
            precondition(rc == 0, "pthread_create failed: \(rc)")
            threads.append(thread)
        }
    }

    /// Stops every loop and waits for its thread to end.
    public func shutdown() {
        for loop in loops { loop.stop() }
        for thread in threads { pthread_join(thread, nil) }
        threads.removeAll()
    }
}
