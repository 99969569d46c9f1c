extension Array {
    /// Removes every element and keeps the storage, for a buffer of references that a hot path fills and
    /// empties again (a chunk's events, a tick's work).
    ///
    /// `removeAll(keepingCapacity: true)` destroys the elements through `swift_arrayDestroy`, which walks the
    /// element type's value witnesses: ~300 instructions for one enum element. Popping them one by one runs
    /// the type's own destroy, inlined where the element type is known.
    @inlinable
    public mutating func removeAllElements() {
        while popLast() != nil {}
    }
}
