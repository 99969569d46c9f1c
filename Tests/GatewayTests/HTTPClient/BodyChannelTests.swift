import Reactor
import Testing

@testable import Gateway

/// The body channel between a curl transfer and its reader: bytes in order, back-pressure, the end, errors
/// and cancellation, each delivered exactly once.
@Suite struct BodyChannelTests {
    /// Counts the transfer's callbacks.
    private final class Calls: Sendable {
        let resumed = Locked(0)
        let cancelled = Locked(0)
    }

    private func channel(pauseThreshold: Int = 1 << 20, _ calls: Calls) -> BodyChannel {
        BodyChannel(
            pauseThreshold: pauseThreshold, resume: { calls.resumed.withLock { $0 += 1 } },
            cancel: { calls.cancelled.withLock { $0 += 1 } })
    }

    @Test func bytesOfferedBeforeAndWhileWaitingArriveInOrder() async throws {
        let channel = channel(Calls())
        #expect(channel.offer([1, 2]))
        #expect(channel.offer([3]))
        #expect(try await channel.next() == [1, 2])
        #expect(try await channel.next() == [3])
        async let waiting = channel.next()
        while !channel.hasWaiter { await Task.yield() }
        #expect(channel.offer([4]))
        #expect(try await waiting == [4])
        channel.finish(nil)
        #expect(try await channel.next() == nil)
        #expect(try await channel.next() == nil)
    }

    @Test func aFullChannelRefusesBytesUntilHalfIsRead() async throws {
        let calls = Calls()
        let channel = channel(pauseThreshold: 4, calls)
        #expect(channel.offer([1, 2, 3]))
        #expect(channel.offer([4, 5]))
        #expect(!channel.offer([6]))  // 5 bytes wait: refused, not taken (curl offers them again)
        #expect(try await channel.next() == [1, 2, 3])
        #expect(calls.resumed.withLock { $0 } == 1)
        #expect(channel.offer([6]))
        #expect(try await channel.next() == [4, 5])
        #expect(try await channel.next() == [6])
        #expect(calls.resumed.withLock { $0 } == 1)
    }

    @Test func aFailureReachesAWaitingReaderOnce() async throws {
        let channel = channel(Calls())
        let waiting = Task { try await channel.next() }
        while !channel.hasWaiter { await Task.yield() }
        channel.finish(GatewayError(.providerError, "reset"))
        channel.finish(nil)
        await #expect(throws: GatewayError.self) { try await waiting.value }
        await #expect(throws: GatewayError.self) { try await channel.next() }
    }

    @Test func cancellingTheReaderStopsTheTransfer() async throws {
        let calls = Calls()
        let channel = channel(calls)
        let reader = Task { try await channel.next() }
        while !channel.hasWaiter { await Task.yield() }
        reader.cancel()
        await #expect(throws: GatewayError.self) { try await reader.value }
        #expect(calls.cancelled.withLock { $0 } == 1)
        #expect(channel.isClosed)
    }
}
