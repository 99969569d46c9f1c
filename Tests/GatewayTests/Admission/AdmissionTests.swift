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
    }
}
