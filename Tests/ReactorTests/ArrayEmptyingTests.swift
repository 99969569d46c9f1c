import Testing

@testable import Reactor

@Suite struct ArrayEmptyingTests {
    final class Tracked {
        let onDeinit: () -> Void
        init(onDeinit: @escaping () -> Void) { self.onDeinit = onDeinit }
        deinit { onDeinit() }
    }

    @Test func removeAllElementsReleasesEveryElementAndKeepsTheStorage() {
        var released = 0
        var array = (0..<5).map { _ in Tracked { released += 1 } }
        array.reserveCapacity(64)
        let capacity = array.capacity
        array.removeAllElements()
        #expect(array.isEmpty)
        #expect(released == 5)
        #expect(array.capacity == capacity)
    }

    @Test func removeAllElementsLeavesACopyAlone() {
        var array = ["a", "b", "c"]
        let copy = array
        array.removeAllElements()
        #expect(array.isEmpty)
        #expect(copy == ["a", "b", "c"])
    }
}
