import Reactor

/// Probes each active provider's list endpoint — periodically, and on demand for detailed health — and
/// feeds the results to the registry: status, latency, and discovered models.
struct ProviderProber: Sendable {
    let registry: ModelRegistry
    let interval: Double
    let breaker: CircuitBreaker
    private let probeTimeouts = UpstreamTimeouts(connect: 2, firstByte: 5, idle: 5, total: 5)
    /// On-demand probes (detailed health, open to anyone) share rounds: one round in flight at a time, and
    /// callers within `sharedRoundSeconds` of a finished round take its results, so health checks cannot
    /// be used to flood the providers.
    private let rounds = SharedRound()
    let sharedRoundSeconds: Double

    init(registry: ModelRegistry, interval: Double, breaker: CircuitBreaker, sharedRoundSeconds: Double = 1) {
        self.registry = registry
        self.interval = interval
        self.breaker = breaker
        self.sharedRoundSeconds = sharedRoundSeconds
    }

    /// Probes every active provider now, unless a round is under way (then waits for it) or one ended
    /// within `sharedRoundSeconds` (then returns at once).
    func probeAllShared() async {
        let prober = self
        let round = rounds.join(freshFor: .milliseconds(Int(sharedRoundSeconds * 1000))) { await prober.probeAll() }
        await round?.value
    }

    /// Probes every active provider at once; returns when all have answered or timed out.
    func probeAll() async {
        await withTaskGroup(of: Void.self) { group in
            for provider in registry.providers where provider.config.isActive {
                group.addTask { await probe(provider) }
            }
        }
    }

    func probe(_ provider: any Provider) async {
        let started = ContinuousClock.now
        do {
            let models = try await provider.discoverModels(timeouts: probeTimeouts)
            let latency = (ContinuousClock.now - started).milliseconds
            if provider.config.discover { registry.merge(models, from: provider) }
            // The list endpoint answering is not proof that generation works, so the circuit is left to
            // close through its own half-open call.
            registry.setStatus(provider.name, ProviderStatus(state: .up, latencyMs: latency, error: ""))
        } catch {
            let domain = error as? GatewayError
            var status = ProviderStatus(
                state: .down, latencyMs: (ContinuousClock.now - started).milliseconds,
                error: domain?.message ?? "\(error)")
            status.authenticationFailed = domain?.isProviderAuthenticationFailure ?? false
            registry.setStatus(provider.name, status)
        }
    }

    /// Probes forever, every `interval` seconds, until the task is cancelled.
    func run() async {
        while !Task.isCancelled {
            await probeAll()
            try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
        }
    }
}

/// The probe round in flight, or when the last one ended.
private final class SharedRound: Sendable {
    private struct State {
        var running: Task<Void, Never>?
        var endedAt: ContinuousClock.Instant?
    }

    private let state = Locked(State())

    /// The round to wait for: the running one, a new one doing `work`, or nil when the last is still fresh.
    func join(freshFor window: Duration, _ work: @escaping @Sendable () async -> Void) -> Task<Void, Never>? {
        state.withLock { state in
            if let running = state.running { return running }
            if let ended = state.endedAt, ContinuousClock.now - ended < window { return nil }
            let round = Task {
                await work()
                self.state.withLock { state in
                    state.running = nil
                    state.endedAt = .now
                }
            }
            state.running = round
            return round
        }
    }
}

extension Duration {
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
