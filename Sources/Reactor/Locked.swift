import Glibc
import Synchronization

#if GATEWAY_TSAN
    /// A value guarded by a lock, for state that several threads share (metrics, limits, queues between loops).
    ///
    /// This is the ThreadSanitizer build's (`make test-tsan` defines `GATEWAY_TSAN`): TSan intercepts pthread
    /// locking but not the standard library's `Mutex`, whose futex word it cannot see, so under `Mutex`
    /// every guarded access would read as a data race and hide the real ones.
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
#else
    /// A value guarded by a lock, for state that several threads share (metrics, limits, queues between loops).
    ///
    /// On the standard library's `Mutex`, whose uncontended lock and unlock are an atomic operation each,
    /// inlined: through `pthread_mutex_lock` and `unlock`, the ~23 locks a unary request takes cost ~1.8 k
    /// instructions more. The ThreadSanitizer build uses pthread locking instead (above).
    public final class Locked<Value>: @unchecked Sendable {
        private let mutex = Mutex<Void>(())
        private var value: Value

        public init(_ value: Value) {
            self.value = value
        }

        /// Runs `body` with the value, holding the lock.
        public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
            try mutex.withLock { _ in try body(&value) }
        }
    }
#endif
