internal import CShims
import Glibc
import Synchronization

/// Receives readiness events for one file descriptor registered on an event loop.
package protocol FDWatcher: AnyObject {
    func handleEvents(_ events: UInt32)
}

/// Work that is batched to the end of a loop tick, such as flushing a connection's output.
package protocol TickEndObserver: AnyObject {
    func loopTickEnded()
}

/// Which loop, if any, runs on the current thread: set once by `run()`.
private let currentLoopKey: pthread_key_t = {
    var key = pthread_key_t()
    precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
    return key
}()

/// A single-threaded epoll reactor: it owns sockets, timers and, as a `TaskExecutor`, the tasks of the
/// requests on its connections, so a request is read, handled and answered on one thread.
public final class EventLoop: @unchecked Sendable {
    enum Work: Sendable {
        case closure(@Sendable () -> Void)
        case job(UnownedJob)
    }

    package static let readEvents = UInt32(EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
    package static let writeEvents = UInt32(EPOLLOUT.rawValue)
    /// Reported whether asked for or not: the peer hung up, or the socket has an error.
    package static let hangupEvents = UInt32(EPOLLHUP.rawValue | EPOLLRDHUP.rawValue)
    package static let errorEvents = UInt32(EPOLLERR.rawValue)

    /// How many socket events a tick handles before it runs the work they queued and flushes. A chunk read
    /// early in a batch of 256 would otherwise wait for the whole batch to be read before it is written:
    /// at 1,000 paced streams, every fourth event keeps the added p50 delay at 13 ms, not 19.
    static let eventsPerTick = 4

    private let epollFD: Int32
    private let wakeFD: Int32
    private let threadID = Atomic<UInt>(0)
    private let remoteWork = Locked<[Work]>([])
    /// Set after work is queued from another thread: the loop takes the lock only when there is some.
    private let remoteWorkQueued = Atomic<Bool>(false)
    private let stopRequested = Atomic<Bool>(false)

    // Loop-confined state below: touched only on the loop's thread.
    private var localWork: [Work] = []
    /// The batch being run, swapped with `localWork` (work queued while it runs goes to the next batch).
    /// Two buffers that trade places: copying the queue and emptying it allocated a new buffer every time.
    private var runningWork: [Work] = []
    private var watchers: [FDWatcher?] = []
    private var timers = TimerQueue()
    private var tickEndObservers: [TickEndObserver] = []
    private var notifiedObservers: [TickEndObserver] = []
    private var locals: [ObjectIdentifier: AnyObject] = [:]
    /// Scratch buffer every connection on this loop reads into; a read never outlives its handler call.
    package var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)

    public init() {
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epollFD >= 0, "epoll_create1 failed: errno \(errno)")
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(wakeFD >= 0, "eventfd failed: errno \(errno)")
        let rc = cshim_epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, UInt32(EPOLLIN.rawValue), UInt64(wakeFD))
        precondition(rc == 0, "epoll_ctl(eventfd) failed: errno \(errno)")
    }

    deinit {
        Glibc.close(wakeFD)
        Glibc.close(epollFD)
    }

    /// True when called on this loop's thread.
    public var inEventLoop: Bool {
        threadID.load(ordering: .relaxed) == UInt(pthread_self())
    }

    /// Traps, in debug builds, when called off this loop's thread: the check at every entry of a
    /// loop-confined type (connections, HTTP/2 sessions, curl's multi handle, request contexts), which
    /// hold plain mutable state that only their loop may touch. Release builds skip it.
    @inline(__always)
    public func assertOnLoop(_ caller: StaticString = #function, file: StaticString = #file, line: UInt = #line) {
        assert(inEventLoop, "\(caller) is confined to its event loop and was called off it", file: file, line: line)
    }

    /// The loop running on the calling thread; nil on threads that are not an event loop's.
    public static var current: EventLoop? {
        pthread_getspecific(currentLoopKey).map { Unmanaged<EventLoop>.fromOpaque($0).takeUnretainedValue() }
    }

    /// This loop's own instance of `T`, made on first use; like everything loop-confined, it is used only on
    /// the loop's thread. Lets a layer above keep per-loop state (such as a curl multi handle) on the loop.
    package func local<T: AnyObject>(_ make: () -> T) -> T {
        assert(inEventLoop)
        if let existing = locals[ObjectIdentifier(T.self)] as? T { return existing }
        let made = make()
        locals[ObjectIdentifier(T.self)] = made
        return made
    }

    /// Runs `work` on the loop: soon, after what is already queued. Safe from any thread.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        submit(.closure(work))
    }

    func submit(_ work: Work) {
        if inEventLoop {
            localWork.append(work)
            return
        }
        let wasEmpty = remoteWork.withLock { queue in
            queue.append(work)
            return queue.count == 1
        }
        remoteWorkQueued.store(true, ordering: .releasing)
        // The loop swaps the whole queue out at once, so only the empty → non-empty edge needs a wake.
        if wasEmpty { wake() }
    }

    /// Runs `body` on the loop and returns its result; direct when already there.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        if inEventLoop { return try body() }
        return try await withCheckedThrowingContinuation { continuation in
            execute { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Runs `body` on the loop and blocks the calling thread until it returns: for fuzz targets and tests
    /// that drive loop-confined types from a thread of their own. Never call it on the loop itself.
    package func runAndWait(_ body: @escaping () -> Void) {
        precondition(!inEventLoop, "runAndWait on its own loop would wait forever")
        final class Done: @unchecked Sendable {
            var semaphore = sem_t()
            init() { sem_init(&semaphore, 0, 0) }
            deinit { sem_destroy(&semaphore) }
        }
        let done = Done()
        nonisolated(unsafe) let body = body
        execute {
            body()
            sem_post(&done.semaphore)
        }
        while sem_wait(&done.semaphore) != 0, errno == EINTR {}
    }

    /// Schedules `action` on the loop at `deadline`. Must be called on the loop.
    @discardableResult
    package func schedule(at deadline: MonotonicInstant, _ action: @escaping () -> Void) -> ScheduledTimer {
        assert(inEventLoop)
        return timers.schedule(at: deadline, action)
    }

    @discardableResult
    package func schedule(afterNanoseconds delay: UInt64, _ action: @escaping () -> Void) -> ScheduledTimer {
        schedule(at: MonotonicInstant.now().advanced(byNanoseconds: delay), action)
    }

    /// Asks for `observer.loopTickEnded()` once, after the current batch of events and work.
    package func notifyAtTickEnd(_ observer: TickEndObserver) {
        tickEndObservers.append(observer)
    }

    // MARK: file descriptors

    package func register(_ fd: Int32, events: UInt32, watcher: FDWatcher) {
        assert(inEventLoop)
        if Int(fd) >= watchers.count {
            watchers.append(contentsOf: repeatElement(nil, count: Int(fd) + 1 - watchers.count))
        }
        watchers[Int(fd)] = watcher
        let rc = cshim_epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, events, UInt64(fd))
        assert(rc == 0, "epoll_ctl ADD failed: errno \(errno)")
    }

    /// Changes the events `fd` is watched for; false when `fd` is not in the epoll set.
    @discardableResult
    package func modify(_ fd: Int32, events: UInt32) -> Bool {
        cshim_epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, events, UInt64(fd)) == 0
    }

    /// Removes `fd` from the loop; the caller closes it afterwards.
    package func unregister(_ fd: Int32) {
        _ = cshim_epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, 0, 0)
        if Int(fd) < watchers.count { watchers[Int(fd)] = nil }
    }

    // MARK: running

    /// Runs the loop on the calling thread until `stop()`.
    package func run() {
        threadID.store(UInt(pthread_self()), ordering: .relaxed)
        pthread_setspecific(currentLoopKey, Unmanaged.passUnretained(self).toOpaque())
        var events = [cshim_epoll_event](repeating: cshim_epoll_event(), count: 256)
        while !stopRequested.load(ordering: .relaxed) {
            runQueuedWork()
            endTick()
            let timeout: Int32 = localWork.isEmpty ? timers.timeoutMilliseconds(now: .now()) : 0
            let count = events.withUnsafeMutableBufferPointer {
                cshim_epoll_wait(epollFD, $0.baseAddress, Int32($0.count), timeout)
            }
            for index in 0..<max(0, Int(count)) {
                let fd = Int32(truncatingIfNeeded: events[index].data)
                if fd == wakeFD {
                    drainWakeFD()
                } else if Int(fd) < watchers.count, let watcher = watchers[Int(fd)] {
                    watcher.handleEvents(events[index].events)
                }
                if index % EventLoop.eventsPerTick == EventLoop.eventsPerTick - 1, index + 1 < count {
                    runQueuedWork()
                    endTick()
                }
            }
            for action in timers.popExpired(now: .now()) { action() }
        }
        runQueuedWork()
        endTick()
    }

    /// Makes `run()` return after its current tick. Safe from any thread.
    package func stop() {
        stopRequested.store(true, ordering: .relaxed)
        wake()
    }

    private func runQueuedWork() {
        // Bounded so that a task that keeps re-enqueueing itself cannot starve socket I/O.
        for _ in 0..<64 {
            if remoteWorkQueued.exchange(false, ordering: .acquiring) {
                remoteWork.withLock { queue in
                    localWork.append(contentsOf: queue)
                    queue.removeAll(keepingCapacity: true)
                }
            }
            if localWork.isEmpty { return }
            swap(&localWork, &runningWork)
            for work in runningWork {
                switch work {
                case .closure(let body): body()
                case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
                }
            }
            runningWork.removeAllElements()
        }
    }

    private func endTick() {
        // Observers may queue more work or register again; they run on the next tick.
        while !tickEndObservers.isEmpty {
            swap(&tickEndObservers, &notifiedObservers)
            for observer in notifiedObservers { observer.loopTickEnded() }
            notifiedObservers.removeAllElements()
        }
    }

    private func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    private func drainWakeFD() {
        var value: UInt64 = 0
        _ = Glibc.read(wakeFD, &value, 8)
    }
}

extension EventLoop: TaskExecutor {
    /// Tasks that prefer this loop run on its thread, between socket events.
    public func enqueue(_ job: consuming ExecutorJob) {
        submit(.job(UnownedJob(job)))
    }
}
