import Reactor
import Testing

@testable import RPC

@Suite struct PercentEncodingTests {
    @Test func encodesPercentAndNonPrintableBytesOnly() {
        #expect(PercentEncoding.encodeGRPCMessage("plain text: ok") == "plain text: ok")
        #expect(PercentEncoding.encodeGRPCMessage("100%") == "100%25")
        #expect(PercentEncoding.encodeGRPCMessage("a\nb\tc") == "a%0Ab%09c")
        #expect(PercentEncoding.encodeGRPCMessage("café ☕") == "caf%C3%A9 %E2%98%95")
    }

    @Test func decodingRoundTripsAndToleratesMalformedEscapes() {
        let text = "résumé 100% \u{1F600}\r\n"
        #expect(PercentEncoding.decode(PercentEncoding.encodeGRPCMessage(text)) == text)
        #expect(PercentEncoding.decode("50%") == "50%")
        #expect(PercentEncoding.decode("%zz%4") == "%zz%4")
        #expect(PercentEncoding.decode("a%2Fb") == "a/b")
    }
}

@Suite struct GRPCTimeoutTests {
    @Test(arguments: [
        ("1H", UInt64(3_600_000_000_000)), ("2M", 120_000_000_000), ("3S", 3_000_000_000),
        ("250m", 250_000_000), ("7u", 7_000), ("99999999n", 99_999_999), ("0m", 0),
    ])
    func parsesEveryUnit(value: String, nanoseconds: UInt64) {
        #expect(GRPCTimeout.parseNanoseconds(value) ?? .max == nanoseconds)
    }

    @Test(arguments: ["", "S", "10", "123456789S", "1.5S", "-1S", "10s", "1 S", "1Sx"])
    func rejectsMalformedValues(value: String) {
        #expect(GRPCTimeout.parseNanoseconds(value) == nil)
    }

    /// 99999999H (3.6e20 ns) overflowed into a deadline that trapped when converted to a signed clock.
    @Test func timeoutsBeyondADayMeanNoDeadline() {
        let now = MonotonicInstant(nanoseconds: UInt64.max - 10)
        #expect(GRPCTimeout.parseNanoseconds("99999999H") ?? 0 == .max)
        #expect(GRPCTimeout.deadline("99999999H", from: now) == nil)
        #expect(GRPCTimeout.deadline("25H", from: now) == nil)
        let start = MonotonicInstant(nanoseconds: 1_000)
        // Unwrapped first: comparing an optional UInt64 in #expect reads past it under ASan (a runtime bug).
        #expect(GRPCTimeout.deadline("24H", from: start).map(\.nanoseconds) ?? 0 == 1_000 + 86_400_000_000_000)
        #expect(GRPCTimeout.deadline("5S", from: start).map(\.nanoseconds) ?? 0 == 5_000_001_000)
        #expect(GRPCTimeout.deadline("5s", from: start) == nil)
    }
}

@Suite struct GRPCStatusTests {
    @Test func everyCodeHasItsWireNumber() {
        #expect(GRPCStatus.Code.allCases.count == 17)
        #expect(GRPCStatus.Code.allCases.map(\.rawValue) == Array(0...16))
        #expect(GRPCStatus.Code.unauthenticated.rawValue == 16)
    }

    @Test func trailersCarryEncodedMessageAndExtras() {
        let status = GRPCStatus(.resourceExhausted, "slow down: 100%", trailers: ["retry-after": "3"])
        let fields = status.trailerFields()
        #expect(fields["grpc-status"] == "8")
        #expect(fields["grpc-message"] == "slow down: 100%25")
        #expect(fields["retry-after"] == "3")
        #expect(GRPCStatus(.ok).trailerFields()["grpc-message"] == nil)
    }
}
