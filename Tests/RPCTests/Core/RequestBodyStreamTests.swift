import Reactor
import Testing

@testable import RPC

@Suite struct RequestBodyStreamTests {
    /// Many tiny DATA frames were a chunk each, drained one `removeFirst` at a time (quadratic), and their
    /// flow-control window reopened as they arrived rather than as the handler read them.
    @Test func aBacklogIsTakenInOneReadAndReportedAsConsumed() async throws {
        let group = EventLoopGroup(count: 1)
        group.start()
        defer { group.shutdown() }
        let loop = group.loops[0]
        let consumed = Locked(0)
        let taken = try await Task(executorPreference: loop) { () async throws -> [Int] in
            let stream = RequestBodyStream(loop: loop, limit: 200_000)
            stream.consumed = { count in consumed.withLock { $0 += count } }
            for _ in 0..<100_000 { #expect(stream.append(length: 1) { $0.append(0x7A) }) }
            #expect(consumed.withLock { $0 } == 0, "nothing is consumed before the handler reads")
            #expect(!stream.append(length: 100_001) { _ in Issue.record("copied past the limit") })
            var reads: [Int] = []
            if let first = try await stream.next() { reads.append(first.count) }
            stream.finish()
            while let more = try await stream.next() { reads.append(more.count) }
            return reads
        }.value
        #expect(taken == [100_000])
        #expect(consumed.withLock { $0 } == 100_000)
    }
}
