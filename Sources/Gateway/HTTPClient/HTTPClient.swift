import Reactor
import Synchronization

/// Sends requests to providers over libcurl; responses stream back as `UpstreamBody`.
public struct HTTPClient: Sendable {
    /// Transfers of this client still alive: zero when it is idle, or curl handles are leaking.
    public let liveTransfers = Atomic<Int>.Counter()

    public init() {}

    /// Starts the request and returns when the response head arrives. Cancelling the calling task
    /// cancels the request; errors are `GatewayError`s already classified.
    public func send(_ request: UpstreamRequest) async throws -> UpstreamResponse {
        // A caller on no loop (a test's task) waits on the standby loop, where the head arrives: see
        // `BackgroundTask` for why a resumption should not cross threads.
        guard EventLoop.current != nil else {
            return try await withTaskExecutorPreference(CurlMulti.standbyLoop) { try await start(request) }
        }
        return try await start(request)
    }

    private func start(_ request: UpstreamRequest) async throws -> UpstreamResponse {
        let multi = CurlMulti.current()
        guard let transfer = CurlTransfer(request, multi: multi, live: liveTransfers) else {
            throw GatewayError(.internalError, "cannot create a curl handle")
        }
        return try await transfer.awaitHead { multi.add(transfer) }
    }
}

extension Atomic where Value == Int {
    /// A shared counter (an `Atomic` cannot be copied, so values hold it by reference).
    public final class Counter: Sendable {
        private let value = Atomic<Int>(0)

        public init() {}

        public var current: Int { value.load(ordering: .relaxed) }
        func increment() { value.add(1, ordering: .relaxed) }
        func decrement() { value.subtract(1, ordering: .relaxed) }
    }
}
