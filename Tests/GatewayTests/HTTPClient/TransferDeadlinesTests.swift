import Reactor
import Testing

@testable import Gateway

@Suite struct TransferDeadlinesTests {
    let start = MonotonicInstant(nanoseconds: 1_000_000_000)
    let timeouts = UpstreamTimeouts(connect: 1, firstByte: 10, idle: 1, total: 60)

    func at(_ seconds: Double) -> MonotonicInstant { start.advanced(byNanoseconds: UInt64(seconds * 1e9)) }

    /// A stream's head, keep-alives and role-only deltas arrive at once: none of them is its first token.
    @Test func aStreamIsTimedToItsFirstContentNotItsHead() {
        var deadlines = TransferDeadlines(timeouts: timeouts, streaming: true, startedAt: start)
        deadlines.headArrived(at: at(0.01))
        deadlines.dataArrived(at: at(2))
        #expect(deadlines.next?.at == at(10))
        #expect(deadlines.next?.kind == .firstToken)
        #expect(deadlines.error(.firstToken).kind == .providerTimeout)
        #expect(deadlines.error(.firstToken).message.contains("no content"))
    }

    /// The idle deadline follows the last piece, and is earlier than what was left of the first-token one.
    @Test func afterTheFirstContentTheIdleDeadlineRuns() {
        var deadlines = TransferDeadlines(timeouts: timeouts, streaming: true, startedAt: start)
        deadlines.contentStarted(at: at(3))
        #expect(deadlines.next?.at == at(4))
        #expect(deadlines.next?.kind == .idle)
        deadlines.dataArrived(at: at(3.5))
        #expect(deadlines.next?.at == at(4.5))
        deadlines.contentStarted(at: at(9))  // only the first counts
        #expect(deadlines.next?.at == at(4.5))
    }

    @Test func aWholeAnswerStartsWithItsHead() {
        var deadlines = TransferDeadlines(timeouts: timeouts, streaming: false, startedAt: start)
        #expect(deadlines.next?.at == at(10))
        deadlines.headArrived(at: at(2))
        #expect(deadlines.next?.at == at(3))
        #expect(deadlines.next?.kind == .idle)
    }

    @Test func withoutAFirstTokenTimeoutIdleRunsFromTheStart() {
        let idleOnly = UpstreamTimeouts(idle: 2)
        let deadlines = TransferDeadlines(timeouts: idleOnly, streaming: true, startedAt: start)
        #expect(deadlines.next?.at == at(2))
        #expect(TransferDeadlines(timeouts: UpstreamTimeouts(), streaming: true, startedAt: start).next == nil)
    }

    @Test func aClientDeadlineShorterThanTheTotalIsMarked() throws {
        var context = CallContext(requestID: "r")
        context.deadline = MonotonicInstant.now().advanced(byNanoseconds: 5_000_000_000)
        let cut = try context.timeouts(timeouts)
        #expect(cut.totalIsClientDeadline && (cut.total ?? 99) <= 5)
        context.deadline = MonotonicInstant.now().advanced(byNanoseconds: 500_000_000_000)
        let kept = try context.timeouts(timeouts)
        #expect(!kept.totalIsClientDeadline && kept.total == 60)
    }
}
