import Glibc

/// Monotonic time in nanoseconds, the clock every deadline in the server uses.
public struct MonotonicInstant: Comparable, Sendable {
    public var nanoseconds: UInt64

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

/// A timer scheduled on an event loop; cancelling it is cheap and idempotent.
public final class ScheduledTimer: @unchecked Sendable {
    package let deadline: MonotonicInstant
    fileprivate let sequence: UInt64
    fileprivate var action: (() -> Void)?

    fileprivate init(deadline: MonotonicInstant, sequence: UInt64, action: @escaping () -> Void) {
        self.deadline = deadline
        self.sequence = sequence
        self.action = action
    }

    /// Must be called on the timer's loop. A cancelled timer stays in the heap until it would
    /// have fired; dropping the closure here releases what it captured at once.
    public func cancel() { action = nil }
}

/// A binary min-heap of timers ordered by deadline (then by scheduling order).
struct TimerQueue {
    private var heap: [ScheduledTimer] = []
    private var nextSequence: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }

    mutating func schedule(at deadline: MonotonicInstant, _ action: @escaping () -> Void) -> ScheduledTimer {
        nextSequence &+= 1
        let timer = ScheduledTimer(deadline: deadline, sequence: nextSequence, action: action)
        heap.append(timer)
        siftUp(heap.count - 1)
        return timer
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
            }
        }
        return due
    }

    private mutating func dropCancelledHead() {
        while let first = heap.first, first.action == nil { removeFirst() }
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
