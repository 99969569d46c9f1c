import Reactor

/// Starts the gateway's background work (probes, fleet sync, trace export, budget writes) on the event loop
/// that serves callers on no loop, rather than on the global pool: what the work awaits from the provider
/// layer then resumes on the thread that completed it, with no hop between threads. (ThreadSanitizer, which
/// does not see the concurrency runtime's own synchronisation, reported each such hop as a data race.)
public enum BackgroundTask {
    @discardableResult
    public static func start(_ work: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        Task(executorPreference: CurlMulti.standbyLoop) { await work() }
    }
}
