import Glibc

/// A value guarded by a lock, for state that several threads share (metrics, limits, queues between loops).
///
/// Used instead of the standard library's `Mutex` because ThreadSanitizer intercepts pthread locking and
/// not `Mutex`'s futex word: under `make test-tsan` every `Mutex`-guarded access reads as a data race, which
/// would hide the real ones. Uncontended, both cost an atomic exchange.
///
/// Memory: the pthread mutex lives in memory this object allocates in `init` and frees in `deinit`
/// (a `pthread_mutex_t` must not move, so it is not a stored property).
public final class Locked<Value>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value, holding the lock.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
