import Reactor
import Testing

@testable import Gateway

/// Retries, back-off and failover of one request, apart from any network: the operation stands in for the
/// provider call and fails as a test says.
@Suite struct FailoverExecutorTests {
    static let yaml = """
        providers:
          - {name: a, type: ollama, endpoint: "http://127.0.0.1:9"}
          - {name: b, type: ollama, endpoint: "http://127.0.0.1:9"}
        models:
          - {name: m, providers: [a, b]}
        failover:
          strategies: [provider_fallback]
          retries: 2
          circuit_breaker: {failure_threshold: 100}
        """

    let gateway = ModelGateway(config: try! ConfigLoader.parse(Self.yaml, file: "t"))

    /// The executor with a back-off short enough for tests.
    func executor(backoff: Duration = .milliseconds(1)) -> FailoverExecutor {
        var executor = gateway.failover
        executor.baseBackoff = backoff
        return executor
    }

    /// Runs a request whose provider call fails on provider `p` with `failures[p]` (in order, then succeeds);
    /// returns the providers called, in order, and the outcome.
    func run(
        _ failures: [String: [GatewayError]], context: CallContext = CallContext(requestID: "t"),
        executor: FailoverExecutor? = nil
    ) async -> (calls: [String], result: Result<String, GatewayError>) {
        let calls = Locked<[String]>([])
        let remaining = Locked(failures)
        do {
            let (answer, attempt) = try await (executor ?? self.executor()).run(
                gateway.registry.resolve("m")!, needing: .generate, context: context, trace: nil
            ) { attempt, _ in
                let provider = attempt.route.provider.name
                calls.withLock { $0.append(provider) }
                if let failure = remaining.withLock({
                    $0[provider]?.isEmpty == false ? $0[provider]!.removeFirst() : nil
                }) {
                    throw failure
                }
                return "answer from \(provider)"
            }
            #expect(answer == "answer from \(attempt.route.provider.name)")
            return (calls.withLock { $0 }, .success(answer))
        } catch let error as GatewayError {
            return (calls.withLock { $0 }, .failure(error))
        } catch {
            Issue.record("unexpected \(error)")
            return (calls.withLock { $0 }, .failure(GatewayError(.internalError, "\(error)")))
        }
    }

    static let upstream500 = GatewayError(.providerError, "HTTP 500")

    @Test func providerErrorsAreRetriedOnTheSameAttemptThenFailOver() async {
        let once = await run(["a": [Self.upstream500]])
        #expect(once.calls == ["a", "a"])
        #expect(once.result == .success("answer from a"))
        let always = await run(["a": Array(repeating: Self.upstream500, count: 9)])
        #expect(always.calls == ["a", "a", "a", "b"], "two retries on a, then b")
        #expect(always.result == .success("answer from b"))
    }

    @Test func timeoutsAndUnreachableProvidersAreNotRetried() async {
        let timeout = await run(["a": [GatewayError(.providerTimeout, "no response within 1 s")]])
        #expect(timeout.calls == ["a", "b"])
        let refused = await run(["a": [GatewayError(.noProviderAvailable, "connection refused")]])
        #expect(refused.calls == ["a", "b"])
        // A refused connection takes the provider out for a moment, so the next request skips it.
        let status = gateway.registry.status(of: "a")
        #expect(status.state == .down && status.retryAt != nil)
        #expect(await run([:]).calls == ["b"])
    }

    @Test func clientErrorsNeitherRetryNorFailOver() async {
        let invalid = await run(["a": [GatewayError.invalid("max_tokens", "too large")]])
        #expect(invalid.calls == ["a"])
        #expect(invalid.result == .failure(GatewayError.invalid("max_tokens", "too large")))
    }

    @Test func shortRateLimitsAreRetriedAndLongOnesFailOver() async {
        let short = await run(["a": [GatewayError(.rateLimited, "slow down", retryAfterSeconds: 0)]])
        #expect(short.calls == ["a", "a"])
        let long = await run(["a": [GatewayError(.rateLimited, "slow down", retryAfterSeconds: 30)]])
        #expect(long.calls == ["a", "b"])
    }

    @Test func theLastErrorIsReportedWhenEveryAttemptFails() async {
        let failing = await run([
            "a": Array(repeating: Self.upstream500, count: 3), "b": [GatewayError(.providerTimeout, "slow")],
        ])
        #expect(failing.calls == ["a", "a", "a", "b"])
        #expect(failing.result == .failure(GatewayError(.providerTimeout, "slow")))
    }

    @Test func aRetryThatWouldOutliveTheDeadlineIsNotTaken() async {
        let context = CallContext(
            requestID: "t", deadline: MonotonicInstant.now().advanced(byNanoseconds: 2_000_000_000))
        let result = await run(
            ["a": [Self.upstream500], "b": [Self.upstream500]], context: context,
            executor: executor(backoff: .seconds(10)))
        #expect(result.calls == ["a", "b"], "a back-off of 5–15 s does not fit in 2 s")
        #expect(result.result == .failure(Self.upstream500))
    }

    @Test func backOffDoublesPerRetryWithJitter() {
        let executor = executor(backoff: .milliseconds(100))
        for attempt in 0..<3 {
            let base = 0.1 * Double(1 << attempt)
            for _ in 0..<200 {
                let delay = executor.retryDelay(Self.upstream500, attempt: attempt)!.nanoseconds / 1e9
                #expect(delay >= base * 0.5 && delay <= base * 1.5)
            }
        }
        #expect(executor.retryDelay(GatewayError(.providerTimeout, "t"), attempt: 0) == nil)
        #expect(executor.retryDelay(GatewayError(.rateLimited, "r", retryAfterSeconds: 1), attempt: 0) == .seconds(1))
        #expect(executor.retryDelay(GatewayError(.rateLimited, "r", retryAfterSeconds: 2), attempt: 0) == nil)
    }
}
