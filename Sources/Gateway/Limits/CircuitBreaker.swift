import Synchronization

/// Per provider: after `threshold` consecutive failures the circuit opens and the provider is skipped for
/// `cooldown`; then one call may try it (half-open), and its outcome closes or re-opens the circuit.
public final class CircuitBreaker: Sendable {
    private struct Circuit {
        var failures = 0
        var openUntil: ContinuousClock.Instant?
        var probing = false
    }

    private let circuits = Mutex<[String: Circuit]>([:])
    let threshold: Int
    let cooldown: Duration

    public init(threshold: Int = 5, cooldown: Duration = .seconds(30)) {
        self.threshold = threshold
        self.cooldown = cooldown
    }

    /// Whether a call may go to `provider` now (claims the half-open probe when the cool-down is over).
    func allows(_ provider: String) -> Bool {
        circuits.withLock { circuits in
            guard let openUntil = circuits[provider]?.openUntil else { return true }
            guard ContinuousClock.now >= openUntil, circuits[provider]?.probing == false else { return false }
            circuits[provider]?.probing = true
            return true
        }
    }

    /// Whether the circuit is open now (for health reports; does not claim a probe).
    public func isOpen(_ provider: String) -> Bool {
        circuits.withLock { circuits in
            guard let openUntil = circuits[provider]?.openUntil else { return false }
            return ContinuousClock.now < openUntil || circuits[provider]?.probing == true
        }
    }

    func recordSuccess(_ provider: String) {
        circuits.withLock { $0[provider] = Circuit() }
    }

    func recordFailure(_ provider: String) {
        circuits.withLock { circuits in
            var circuit = circuits[provider] ?? Circuit()
            circuit.failures += 1
            if circuit.probing || circuit.failures >= threshold {
                circuit.openUntil = ContinuousClock.now + cooldown
                circuit.probing = false
            }
            circuits[provider] = circuit
        }
    }
}
