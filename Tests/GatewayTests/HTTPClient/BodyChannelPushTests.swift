import Reactor
import Testing

@testable import Gateway

/// A body pushed rather than pulled (`BodyChannel.push`): bytes go to the pusher as they arrive while its
/// reader stays suspended, and the reader wakes only when the pusher stops, the body ends, or it is cancelled.
@Suite struct BodyChannelPushTests {
    /// What a pusher was handed; it asks to stop after `stopAfter` pieces.
    private final class Pushed: Sendable {
        let pieces = Locked<[[UInt8]]>([])
        let stopAfter: Int

        init(stopAfter: Int = .max) {
            self.stopAfter = stopAfter
        }

        @Sendable func take(_ bytes: Swift.Span<UInt8>) -> Bool {
            let copied = bytes.withUnsafeBufferPointer { Array($0) }
            return pieces.withLock { pieces in
                pieces.append(copied)
                return pieces.count < stopAfter
            }
        }

        var count: Int { pieces.withLock { $0.count } }
    }

    private let cancels = Locked(0)

    private func channel() -> BodyChannel {
        BodyChannel(resume: {}, cancel: { [cancels] in cancels.withLock { $0 += 1 } })
    }

    @Test func piecesGoToThePusherWhileItsReaderWaits() async throws {
        let channel = channel()
        let pushed = Pushed(stopAfter: 3)
        let pushing = Task { try await channel.push(pushed.take) }
        while !channel.hasWaiter { await Task.yield() }
        #expect(channel.offer([1]))
        #expect(channel.offer([2]))
        #expect(channel.hasWaiter, "a pushed piece woke the reader")
        #expect(channel.offer([3]))  // the pusher asks to stop: its reader wakes
        try await pushing.value
        #expect(pushed.pieces.withLock { $0 } == [[1], [2], [3]])
        // Stopped: what arrives next waits for a read, as it would without pushing.
        #expect(channel.offer([4]))
        #expect(try await channel.next() == [4])
        #expect(pushed.count == 3)
    }

    @Test func pushingReturnsAtOnceWhenPiecesWaitOrTheBodyEnded() async throws {
        let channel = channel()
        let pushed = Pushed()
        #expect(channel.offer([1]))
        try await channel.push(pushed.take)
        #expect(try await channel.next() == [1])
        channel.finish(nil)
        try await channel.push(pushed.take)
        #expect(try await channel.next() == nil)
        #expect(pushed.count == 0)
    }

    @Test func theEndWakesAPusher() async throws {
        let channel = channel()
        let pushing = Task { try await channel.push(Pushed().take) }
        while !channel.hasWaiter { await Task.yield() }
        channel.finish(nil)
        try await pushing.value
        #expect(try await channel.next() == nil)
    }

    @Test func aFailureWakesAPusherWithTheError() async throws {
        let channel = channel()
        let pushing = Task { try await channel.push(Pushed().take) }
        while !channel.hasWaiter { await Task.yield() }
        channel.finish(GatewayError(.providerError, "reset"))
        await #expect(throws: GatewayError(.providerError, "reset")) { try await pushing.value }
    }

    @Test func cancellingAPushersTaskStopsTheTransfer() async throws {
        let channel = channel()
        let pushing = Task { try await channel.push(Pushed().take) }
        while !channel.hasWaiter { await Task.yield() }
        pushing.cancel()
        await #expect(throws: GatewayError.self) { try await pushing.value }
        #expect(cancels.withLock { $0 } == 1)
        #expect(channel.isClosed)
    }
}
