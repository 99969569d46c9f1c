/// Probes each active provider's list endpoint — periodically, and on demand for detailed health — and
/// feeds the results to the registry: status, latency, and discovered models.
struct ProviderProber: Sendable {
    let registry: ModelRegistry
    let interval: Double
    let breaker: CircuitBreaker
    private let probeTimeouts = UpstreamTimeouts(connect: 2, firstByte: 5, idle: 5, total: 5)

    init(registry: ModelRegistry, interval: Double, breaker: CircuitBreaker) {
        self.registry = registry
        self.interval = interval
        self.breaker = breaker
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
            let message = (error as? GatewayError)?.message ?? "\(error)"
            registry.setStatus(
                provider.name,
                ProviderStatus(state: .down, latencyMs: (ContinuousClock.now - started).milliseconds, error: message))
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

extension Duration {
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
