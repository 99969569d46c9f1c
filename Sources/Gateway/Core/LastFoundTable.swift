/// A dictionary that keeps the entry it found last in hand. The tables a call consults by name (usage rows,
/// kept metric series) are mostly asked for the same key as the call before, and comparing a key costs a few
/// instructions where hashing it costs a few hundred.
///
/// Past `limit` entries the table is emptied before the next one is made (its keys come from outside).
struct LastFoundTable<Key: Hashable, Value> {
    private var entries: [Key: Value] = [:]
    private var last: (key: Key, value: Value)?
    private let limit: Int

    init(limit: Int = .max) {
        self.limit = limit
    }

    var count: Int { entries.count }

    /// Every entry, in no order.
    var all: [Key: Value] { entries }

    func contains(_ key: Key) -> Bool { last?.key == key || entries[key] != nil }

    /// The value for `key`, made by `make` and kept when there is none.
    mutating func value(_ key: Key, orMake make: () -> Value) -> Value {
        if let last, last.key == key { return last.value }
        let value: Value
        if let found = entries[key] {
            value = found
        } else {
            if entries.count >= limit { entries.removeAll() }
            value = make()
            entries[key] = value
        }
        last = (key, value)
        return value
    }
}
