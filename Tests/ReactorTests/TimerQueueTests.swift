import Testing

@testable import Reactor

@Suite struct TimerQueueTests {
    @Test func firesDueTimersInDeadlineThenSchedulingOrder() {
        var queue = TimerQueue()
        var fired: [Int] = []
        let base = MonotonicInstant(nanoseconds: 1_000)
        for (index, offset) in [30, 10, 20, 10, 50].enumerated() {
            _ = queue.schedule(at: base.advanced(byNanoseconds: UInt64(offset))) { fired.append(index) }
        }
        queue.popExpired(now: base.advanced(byNanoseconds: 30)).forEach { $0() }
        #expect(fired == [1, 3, 2, 0])
        queue.popExpired(now: base.advanced(byNanoseconds: 100)).forEach { $0() }
        #expect(fired == [1, 3, 2, 0, 4])
        #expect(queue.isEmpty)
    }

    @Test func cancelledTimersNeverFireAndDoNotShortenTheWait() {
        var queue = TimerQueue()
        var fired = false
        let now = MonotonicInstant(nanoseconds: 0)
        let early = queue.schedule(at: now.advanced(byNanoseconds: 1_000_000)) { fired = true }
        _ = queue.schedule(at: now.advanced(byNanoseconds: 5_000_000)) {}
        early.cancel()
        #expect(queue.timeoutMilliseconds(now: now) == 5)
        queue.popExpired(now: now.advanced(byNanoseconds: 2_000_000)).forEach { $0() }
        #expect(!fired)
    }

    @Test func waitRoundsUpAndIsInfiniteWhenEmpty() {
        var queue = TimerQueue()
        let now = MonotonicInstant(nanoseconds: 0)
        #expect(queue.timeoutMilliseconds(now: now) == -1)
        _ = queue.schedule(at: now.advanced(byNanoseconds: 1)) {}
        #expect(queue.timeoutMilliseconds(now: now) == 1)
        #expect(queue.timeoutMilliseconds(now: now.advanced(byNanoseconds: 10)) == 0)
    }
}
