import Glibc

/// Monotonic time in nanoseconds, the clock every deadline in the server uses.
public struct MonotonicInstant: Comparable, Sendable {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) {
        self.nanoseconds = nanoseconds
    }

    public static func now() -> MonotonicInstant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return MonotonicInstant(nanoseconds: UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec))
    }

    public func advanced(byNanoseconds delta: UInt64) -> MonotonicInstant {
        let (sum, overflow) = nanoseconds.addingReportingOverflow(delta)
        return MonotonicInstant(nanoseconds: overflow ? .max : sum)
    }

    public func nanoseconds(until other: MonotonicInstant) -> UInt64 {
        other.nanoseconds > nanoseconds ? other.nanoseconds - nanoseconds : 0
    }

    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }
}

/// How many timers of a queue were cancelled but still sit in its heap; shared with the timers, which
/// count themselves in when cancelled.
private final class CancelledCount {
    var value = 0
}

/// A timer scheduled on an event loop; cancelling it is cheap and idempotent.
public final class ScheduledTimer: @unchecked Sendable {
    package let deadline: MonotonicInstant
    fileprivate let sequence: UInt64
    fileprivate var action: (() -> Void)?
    private let cancelled: CancelledCount

    fileprivate init(
        deadline: MonotonicInstant, sequence: UInt64, cancelled: CancelledCount, action: @escaping () -> Void
    ) {
        self.deadline = deadline
        self.sequence = sequence
        self.cancelled = cancelled
        self.action = action
    }

    /// Must be called on the timer's loop. Dropping the closure releases what it captured at once; the
    /// entry leaves the heap when it comes due, or sooner when cancelled entries pile up.
    public func cancel() {
        guard action != nil else { return }
        action = nil
        cancelled.value += 1
    }
}

/// A binary min-heap of timers ordered by deadline (then by scheduling order).
///
/// Cancelled timers are left in place (cancelling is O(1)) and swept out in one pass once they are more
/// than half of the heap: under load, timeouts that are set per request and cancelled when it ends (curl's,
/// a provider's first-byte deadline) would otherwise stay for their full minute.
struct TimerQueue {
    private var heap: [ScheduledTimer] = []
    private var nextSequence: UInt64 = 0
    private let cancelled = CancelledCount()

    var isEmpty: Bool { heap.isEmpty }
    /// Entries in the heap, cancelled ones included (for tests).
    var count: Int { heap.count }

    mutating func schedule(at deadline: MonotonicInstant, _ action: @escaping () -> Void) -> ScheduledTimer {
        nextSequence &+= 1
        if cancelled.value >= 64, cancelled.value * 2 > heap.count { sweepCancelled() }
        let timer = ScheduledTimer(deadline: deadline, sequence: nextSequence, cancelled: cancelled, action: action)
        heap.append(timer)
        siftUp(heap.count - 1)
        return timer
    }

    private mutating func sweepCancelled() {
        heap.removeAll { $0.action == nil }
        cancelled.value = 0
        for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
    }

    /// Milliseconds until the earliest live timer, for `epoll_wait`: -1 when there is none.
    mutating func timeoutMilliseconds(now: MonotonicInstant) -> Int32 {
        dropCancelledHead()
        guard let first = heap.first else { return -1 }
        let ns = now.nanoseconds(until: first.deadline)
        // Round up so that a timer never fires early and the loop never spins on a 0 ms wait.
        return Int32(min((ns + 999_999) / 1_000_000, UInt64(Int32.max)))
    }

    /// Removes and returns the actions of every timer due at `now`.
    mutating func popExpired(now: MonotonicInstant) -> [() -> Void] {
        var due: [() -> Void] = []
        while let first = heap.first, first.deadline <= now {
            removeFirst()
            if let action = first.action {
                first.action = nil
                due.append(action)
            } else {
                cancelled.value -= 1
            }
        }
        return due
    }

    private mutating func dropCancelledHead() {
        while let first = heap.first, first.action == nil {
            removeFirst()
            cancelled.value -= 1
        }
    }

    private mutating func removeFirst() {
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        let x = heap[a], y = heap[b]
        return x.deadline == y.deadline ? x.sequence < y.sequence : x.deadline < y.deadline
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(child, parent) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, less(left, smallest) { smallest = left }
            if right < heap.count, less(right, smallest) { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
