import Reactor

/// Per provider: after `threshold` consecutive failures the circuit opens and the provider is skipped for
/// `cooldown`; then one call may try it (half-open), and its outcome closes or re-opens the circuit.
public final class CircuitBreaker: Sendable {
    private struct Circuit {
        var failures = 0
        var openUntil: ContinuousClock.Instant?
        var probing = false
    }

    /// Only providers that failed since their last success have an entry: a healthy provider's calls then
    /// look up an empty table, which returns without hashing the name (two lookups per call).
    private let circuits = Locked<[String: Circuit]>([:])
    let threshold: Int
    let cooldown: Duration

    public init(threshold: Int = 5, cooldown: Duration = .seconds(30)) {
        self.threshold = threshold
        self.cooldown = cooldown
    }

    /// How a call was let through.
    enum Admission: Equatable {
        /// The circuit is closed.
        case closed
        /// The call is the circuit's one half-open probe: it must end in `recordSuccess`, `recordFailure` or
        /// `releaseProbe`, or the provider stays shut out.
        case probe
    }

    /// Whether a call may go to `provider` now; nil when the circuit is open. Claims the half-open probe
    /// when the cool-down is over.
    func admit(_ provider: String) -> Admission? {
        circuits.withLock { circuits in
            guard let openUntil = circuits[provider]?.openUntil else { return .closed }
            guard ContinuousClock.now >= openUntil, circuits[provider]?.probing == false else { return nil }
            circuits[provider]?.probing = true
            return .probe
        }
    }

    /// The probe ended without telling anything of the provider (the client cancelled or ran out of time,
    /// the request was invalid, a limit refused it before it was sent): the next call may probe again.
    func releaseProbe(_ provider: String) {
        circuits.withLock { circuits in
            if circuits[provider]?.probing == true { circuits[provider]?.probing = false }
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
        circuits.withLock { circuits in
            if !circuits.isEmpty { circuits[provider] = nil }  // a fresh circuit is no entry
        }
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
