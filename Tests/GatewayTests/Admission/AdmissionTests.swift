import Reactor
import Testing

@testable import Gateway

/// The one admission step every front door takes: request id, context, authentication and body size.
@Suite struct AdmissionTests {
    let gateway = ModelGateway(
        config: try! ConfigLoader.parse(
            """
            server: {max_request_bytes: 1024}
            auth: {api_keys: [sk-good]}
            providers: [{name: builtin, type: builtin}]
            """, file: "t"))

    func admit(_ headers: [String: String], open: Bool = false, tooLarge: Bool = false) -> Admission {
        gateway.admit(ArrivingCall(header: { headers[$0] }, open: open, bodyTooLarge: tooLarge))
    }

    @Test func aSaneRequestIDIsKeptAndAnythingElseReplaced() {
        #expect(admit(["x-request-id": "abc-123"]).context.requestID == "abc-123")
        let replaced = admit(["x-request-id": "bad id\u{7}"]).context.requestID
        #expect(replaced != "bad id\u{7}" && replaced.count == 36)
        #expect(admit([:]).context.requestID.count == 36)
    }

    @Test func theKeyIsCheckedUnlessTheEndpointIsOpen() throws {
        let good = admit(["authorization": "Bearer sk-good"])
        #expect(try good.admitted().apiKey == "sk-good")
        #expect(good.context.keyID == UsageLedger.keyID("sk-good"))
        let wrong = admit(["authorization": "Bearer sk-bad", "x-request-id": "r1"])
        #expect(wrong.refusal?.kind == .unauthenticated)
        #expect(wrong.context.requestID == "r1", "a refused call keeps its id for the error answer")
        #expect(throws: GatewayError.self) { try wrong.admitted() }
        #expect(throws: try #require(wrong.refusal)) { try wrong.check() }
        try good.check()
        #expect(admit([:], open: true).refusal == nil)
    }

    @Test func anOversizedBodyIsRefusedWithTheLimit() {
        let refusal = admit(["authorization": "Bearer sk-good"], tooLarge: true).refusal
        #expect(refusal == GatewayError(.payloadTooLarge, "the request body exceeds 1024 bytes"))
    }

    @Test func theContextCarriesTheDeadlineTraceAndStart() {
        let start = MonotonicInstant.now()
        let deadline = start.advanced(byNanoseconds: 1_000_000_000)
        let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        let context = gateway.admit(
            ArrivingCall(
                header: { ["traceparent": traceparent, "authorization": "Bearer sk-good"][$0] }, deadline: deadline,
                startedAt: start)
        ).context
        #expect(context.deadline == deadline && context.traceparent == traceparent)
        #expect(context.timing.started == start)
        let decorations = context.decorations()
        #expect(decorations.fields.map(\.name) == ["x-request-id", "x-gateway-overhead-ms"])
    }

    @Test func overheadHasThreeDecimals() {
        #expect(ResponseDecorations.milliseconds(1.2345) == "1.235")
        #expect(ResponseDecorations.milliseconds(0) == "0.000")
        #expect(ResponseDecorations.milliseconds(-5) == "0.000")
        #expect(ResponseDecorations.milliseconds(.nan) == "0.000")
        #expect(ResponseDecorations.milliseconds(0.05) == "0.050")
        #expect(ResponseDecorations.milliseconds(1234.5) == "1234.500")
        #expect(ResponseDecorations.milliseconds(.infinity) == "0.000")
        #expect(ResponseDecorations.milliseconds(5e15) == "1000000000000.000")
    }
}

/// Named keys (`auth.keys`): a name in place of the key id, a model scope, a rate of their own.
@Suite struct NamedKeyTests {
    static let yaml = """
        auth:
          api_keys: [sk-plain]
          keys:
            - {name: search, key: sk-search, models: [tiny], rate_limit: {requests_per_minute: 2}}
        providers: [{name: builtin, type: builtin}]
        models:
          - {name: small-echo, provider: builtin, aliases: [tiny]}
          - {name: other, provider: builtin}
        """

    let gateway = ModelGateway(config: try! ConfigLoader.parse(Self.yaml, file: "t"))

    func context(_ key: String) throws -> CallContext {
        try gateway.admit(ArrivingCall(header: { $0 == "authorization" ? "Bearer \(key)" : nil })).admitted()
    }

    @Test func aNamedKeyIsKnownByItsName() throws {
        let context = try context("sk-search")
        #expect(context.keyID == "search" && context.client?.models == ["tiny"])
        #expect(try self.context("sk-plain").keyID == UsageLedger.keyID("sk-plain"))
    }

    @Test func theScopeAllowsNamesAndAliasesAndRefusesTheRest() async throws {
        let context = try context("sk-search")
        _ = try await gateway.generate(GenerateRequest(model: "tiny", prompt: "a"), context: context)
        _ = try await gateway.generate(GenerateRequest(model: "small-echo", prompt: "a"), context: context)
        await #expect(throws: GatewayError.self) {
            try await gateway.generate(GenerateRequest(model: "other", prompt: "a"), context: context)
        }
        do {
            _ = try await gateway.generate(GenerateRequest(model: "other", prompt: "a"), context: context)
        } catch let error as GatewayError {
            #expect(error.kind == .modelNotAllowed && error.kind.httpStatus == 403)
        }
        let byKey = await gateway.usageReport().report.byKey
        #expect(byKey.map(\.0) == ["search"])
    }

    @Test func theKeysOwnRateApplies() async throws {
        let context = try context("sk-search")
        for _ in 0..<2 { _ = try await gateway.generate(GenerateRequest(model: "tiny", prompt: "a"), context: context) }
        do {
            _ = try await gateway.generate(GenerateRequest(model: "tiny", prompt: "a"), context: context)
            Issue.record("a third request within the minute passed a limit of 2")
        } catch let error as GatewayError {
            #expect(error.kind == .rateLimited)
        }
    }

    @Test func aKeyWithoutANameIsAConfigurationError() {
        #expect(throws: ConfigError.self) {
            try ConfigLoader.parse("auth: {keys: [{key: k}]}\nproviders: [{name: b, type: builtin}]", file: "t")
        }
    }
}

/// Budgets of named keys, counted in process.
@Suite struct BudgetTests {
    @Test func aTokenBudgetIsSpentAndThenRefused() async throws {
        let gateway = ModelGateway(
            config: try ConfigLoader.parse(
                """
                auth: {keys: [{name: tight, key: sk-t, budget: {tokens_per_month: 5}}]}
                providers: [{name: builtin, type: builtin}]
                """, file: "t"))
        let context = try gateway.admit(ArrivingCall(header: { $0 == "authorization" ? "Bearer sk-t" : nil }))
            .admitted()
        #expect(context.client?.budget == Budget(tokensPerMonth: 5))
        _ = try await gateway.generate(GenerateRequest(model: "echo", prompt: "one two three"), context: context)
        var refused: GatewayError?
        for _ in 0..<100 where refused == nil {
            do {
                _ = try await gateway.generate(GenerateRequest(model: "echo", prompt: "a"), context: context)
                try await Task.sleep(for: .milliseconds(5))
            } catch let error as GatewayError {
                refused = error
            }
        }
        #expect(refused?.kind == .budgetExceeded && (refused?.retryAfterSeconds ?? 0) > 0)
    }

    @Test func periodsEndAtUTCMidnightAndTheFirstOfTheMonth() {
        // 2026-12-31T23:59:30Z
        let period = BudgetPeriod.now(1_798_761_570)
        #expect(period.key == BudgetPeriodKey(day: "2026-12-31", month: "2026-12"))
        #expect(period.secondsLeftInDay == 30 && period.secondsLeftInMonth == 30)
    }
}
