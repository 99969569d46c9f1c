import Reactor
import Synchronization

/// How long a call spent waiting on providers, so that total minus this is the gateway's own overhead.
/// On the server's monotonic clock, like every deadline from the front door to curl.
public final class CallTiming: Sendable {
    /// When the server began handling the call.
    public let started: MonotonicInstant
    private let providerNanos = Atomic<UInt64>(0)

    public init(started: MonotonicInstant = .now()) {
        self.started = started
    }

    /// Runs `body` (a provider call or a wait on a provider's stream) and counts its time as provider time.
    @inline(__always)
    func measure<T>(_ body: () async throws -> T) async rethrows -> T {
        let start = MonotonicInstant.now()
        defer { providerNanos.add(start.nanoseconds(until: .now()), ordering: .relaxed) }
        return try await body()
    }

    /// Counts the time from `start` to `end` as provider time (a stretch of waiting that `measure` cannot wrap).
    func countProviderTime(from start: MonotonicInstant, to end: MonotonicInstant) {
        providerNanos.add(start.nanoseconds(until: end), ordering: .relaxed)
    }

    public var providerSeconds: Double { Double(providerNanos.load(ordering: .relaxed)) / 1e9 }

    /// Milliseconds since the call started.
    public var elapsedMilliseconds: Double { Double(started.nanoseconds(until: .now())) / 1e6 }

    /// Seconds since the call started, minus provider time.
    public var overheadSeconds: Double {
        max(0, elapsedMilliseconds / 1000 - providerSeconds)
    }
}

extension Duration {
    var nanoseconds: Double {
        Double(components.seconds) * 1e9 + Double(components.attoseconds) / 1e9
    }
}
