import Synchronization

/// How long a call spent waiting on providers, so that total minus this is the gateway's own overhead.
public final class CallTiming: Sendable {
    public let started = ContinuousClock.now
    private let providerNanos = Atomic<Int64>(0)

    public init() {}

    /// Runs `body` (a provider call or a wait on a provider's stream) and counts its time as provider time.
    func measure<T>(_ body: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        defer { providerNanos.add(Int64((ContinuousClock.now - start).nanoseconds), ordering: .relaxed) }
        return try await body()
    }

    public var providerSeconds: Double { Double(providerNanos.load(ordering: .relaxed)) / 1e9 }

    /// Seconds since the call started, minus provider time.
    public var overheadSeconds: Double {
        max(0, (ContinuousClock.now - started).milliseconds / 1000 - providerSeconds)
    }
}

extension Duration {
    var nanoseconds: Double {
        Double(components.seconds) * 1e9 + Double(components.attoseconds) / 1e9
    }
}
