import Testing

@testable import Gateway

/// The entry found last is kept in hand; the answers are the dictionary's either way.
@Suite struct LastFoundTableTests {
    @Test func eachKeyKeepsItsOwnValueWhateverWasFoundBefore() {
        var table = LastFoundTable<String, Int>()
        var made = 0
        func value(_ key: String) -> Int {
            table.value(key) {
                made += 1
                return made
            }
        }
        // Repeats right after a change (b), and after a gap (a).
        #expect(["a", "b", "b", "a", "c", "a", "a"].map(value) == [1, 2, 2, 1, 3, 1, 1])
        #expect(made == 3 && table.count == 3)
        #expect(table.contains("b") && !table.contains("d"))
        #expect(table.all == ["a": 1, "b": 2, "c": 3])
    }

    @Test func aFullTableIsEmptiedBeforeTheNextEntry() {
        var table = LastFoundTable<Int, String>(limit: 2)
        for key in 0..<2 { _ = table.value(key) { "v\(key)" } }
        #expect(table.count == 2)
        #expect(table.value(1) { "again" } == "v1", "a known key is found, not made")
        #expect(table.value(2) { "v2" } == "v2")
        #expect(table.all == [2: "v2"])
    }
}
