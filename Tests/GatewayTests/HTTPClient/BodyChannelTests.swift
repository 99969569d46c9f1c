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

    /// A stream's reads share one handler (`withOneCancellationHandler`): cancelling the reader while it
    /// waits inside the scope still stops the transfer and ends the read.
    @Test func cancellingAReaderUnderOneHandlerStopsTheTransfer() async throws {
        let calls = Calls()
        let channel = channel(calls)
        let body = UpstreamBody(channel: channel)
        let reader = Task {
            try await body.withOneCancellationHandler {
                var read = 0
                while let bytes = try await body.next() { read += bytes.count }
                return read
            }
        }
        #expect(channel.offer([1, 2]))
        while !channel.hasWaiter { await Task.yield() }
        reader.cancel()
        #expect(await cancelledSoon(calls), "the transfer is stopped")
        if !channel.isClosed { channel.finish(nil) }  // lets a reader nothing woke end (the test failed above)
        await #expect(throws: GatewayError.self) { try await reader.value }
    }

    /// Once the scope closed, a read registers its own handler again.
    @Test func aReadAfterTheScopeHasItsOwnHandler() async throws {
        let calls = Calls()
        let channel = channel(calls)
        let body = UpstreamBody(channel: channel)
        #expect(channel.offer([1]))
        let reader = Task {
            let first = try await body.withOneCancellationHandler { try await body.next() }
            #expect(first == [1])
            return try await body.next()
        }
        while !channel.hasWaiter { await Task.yield() }
        reader.cancel()
        #expect(await cancelledSoon(calls), "the transfer is stopped")
        if !channel.isClosed { channel.finish(nil) }
        await #expect(throws: GatewayError.self) { try await reader.value }
    }

    /// Whether the transfer was cancelled within a bounded number of yields (a missing handler never cancels
    /// it, and waiting on the reader would then hang).
    private func cancelledSoon(_ calls: Calls) async -> Bool {
        for _ in 0..<100_000 where calls.cancelled.withLock({ $0 }) == 0 { await Task.yield() }
        return calls.cancelled.withLock { $0 } == 1
    }
}
