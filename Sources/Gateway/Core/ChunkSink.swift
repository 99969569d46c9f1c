/// Where a front door's stream goes: its client's connection, in the front door's encoding.
///
/// A relay hands a sink batches in one of two ways. From its task, with `write`, which waits while the
/// client is not reading. Or, when `canWriteNow` says the client's connection lives on the calling thread's
/// event loop, straight from the provider's transfer callback on that loop, with `writeNow`, which never
/// waits: a streamed chunk then costs no task wake-up. Both are called only while the relay's task is
/// suspended or running on that loop, one at a time.
public protocol ChunkSink: AnyObject, Sendable {
    /// True when `writeNow` may be called on the calling thread from now on: the client's connection lives on
    /// its event loop, and the response has begun.
    var canWriteNow: Bool { get }
    /// Encodes and queues `batch` for the client without waiting. False when the client is not keeping up:
    /// the batch is queued all the same, and `waitForRoom()` must come before the next one.
    func writeNow(_ batch: ChunkBatch) throws -> Bool
    /// Waits until the client has read enough for more to be queued.
    func waitForRoom() async throws
    /// Encodes and writes `batch`, waiting while the client is not reading.
    func write(_ batch: ChunkBatch) async throws
}
