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

    @Test func cancelledTimersAreSweptOnceTheyAreMostOfTheHeap() {
        var queue = TimerQueue()
        var fired: [Int] = []
        let base = MonotonicInstant(nanoseconds: 0)
        var timers: [ScheduledTimer] = []
        for index in 0..<10_000 {
            let deadline = base.advanced(byNanoseconds: UInt64(60_000_000_000 - index))  // a minute away
            timers.append(queue.schedule(at: deadline) { fired.append(index) })
        }
        for timer in timers.dropFirst(10) { timer.cancel() }
        timers[3].cancel()
        timers[3].cancel()  // idempotent: counted once
        _ = queue.schedule(at: base.advanced(byNanoseconds: 1)) { fired.append(-1) }
        #expect(queue.count == 10)  // the nine live ones and the new one
        queue.popExpired(now: base.advanced(byNanoseconds: 60_000_000_000)).forEach { $0() }
        #expect(fired == [-1, 9, 8, 7, 6, 5, 4, 2, 1, 0])
        #expect(queue.isEmpty)
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
