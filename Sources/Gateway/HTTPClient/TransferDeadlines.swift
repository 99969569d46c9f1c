import Reactor

/// When a provider call's own timeouts fall due: the first-token deadline until the answer starts, then the
/// idle deadline after each piece of it. For a whole (unary) answer the answer starts with the response
/// head; for a stream, only with its first content — a head, a role-only delta, a keep-alive comment or a
/// ping is not content, so a provider that sends its headers at once is still timed to its first token.
///
/// Pure state on the loop's clock, driven by the transfer; curl's own timeouts (connect, total) are apart.
struct TransferDeadlines {
    enum Kind: Equatable {
        case firstToken
        case idle
    }

    let timeouts: UpstreamTimeouts
    let streaming: Bool
    let startedAt: MonotonicInstant
    private(set) var answerStarted = false
    private(set) var lastDataAt: MonotonicInstant?

    init(timeouts: UpstreamTimeouts, streaming: Bool, startedAt: MonotonicInstant) {
        self.timeouts = timeouts
        self.streaming = streaming
        self.startedAt = startedAt
    }

    mutating func headArrived(at now: MonotonicInstant) {
        lastDataAt = now
        if !streaming { answerStarted = true }
    }

    mutating func dataArrived(at now: MonotonicInstant) {
        lastDataAt = now
    }

    mutating func contentStarted(at now: MonotonicInstant) {
        guard !answerStarted else { return }
        answerStarted = true
        lastDataAt = now
    }

    /// The earliest deadline now in force, and which timeout it is.
    var next: (at: MonotonicInstant, kind: Kind)? {
        if !answerStarted, let first = timeouts.firstByte {
            return (startedAt.advanced(byNanoseconds: Self.nanoseconds(first)), .firstToken)
        }
        if let idle = timeouts.idle {
            return ((lastDataAt ?? startedAt).advanced(byNanoseconds: Self.nanoseconds(idle)), .idle)
        }
        return nil
    }

    /// The error a call ends with when the deadline of `kind` passes.
    func error(_ kind: Kind) -> GatewayError {
        switch kind {
        case .firstToken:
            let what = streaming ? "no content" : "no response"
            return GatewayError(.providerTimeout, "the provider sent \(what) within \(timeouts.firstByte ?? 0) s")
        case .idle:
            return GatewayError(.providerTimeout, "the provider stalled for more than \(timeouts.idle ?? 0) s")
        }
    }

    static func nanoseconds(_ seconds: Double) -> UInt64 {
        seconds.isFinite && seconds > 0 ? UInt64(min(seconds, 1e9) * 1e9) : 0
    }
}
