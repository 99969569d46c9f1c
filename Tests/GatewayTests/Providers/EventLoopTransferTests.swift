import Reactor
import Testing

@testable import Gateway

/// Provider calls made from a task on an event loop run on that loop's own curl multi: curl's sockets
/// join the loop's epoll set, and the response comes back without leaving the loop's thread.
@Suite(.serialized) struct EventLoopTransferTests {
    /// A fake OpenAI-compatible provider, a gateway on it, and one running event loop (stopped on deinit).
    private final class Fixture {
        let fake: FakeUpstream
        let group = EventLoopGroup(count: 1)
        let client = HTTPClient()
        let gateway: ModelGateway
        var loop: EventLoop { group.loops[0] }

        init() throws {
            fake = try FakeUpstream(kind: "openai", models: ["m"])
            gateway = try GatewayTests.gateway(
                for: fake, models: "  - {name: m, provider: fake-openai}", client: client)
            group.start()
        }

        deinit { group.shutdown() }
    }

    @Test func aCallFromALoopTaskStaysOnThatLoop() async throws {
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        let (loop, gateway) = (fixture.loop, fixture.gateway)

        let outcome = try await Task(executorPreference: loop) {
            let multiIsTheLoops = CurlMulti.current().loop === loop
            let chunks = try await collect(
                try await gateway.streamGenerate(
                    GenerateRequest(model: "m", prompt: "fault:tokens=5"), context: CallContext(requestID: "t")))
            let answer = try await gateway.generate(
                GenerateRequest(model: "m", prompt: "unary"), context: CallContext(requestID: "u"))
            return (multiIsTheLoops, EventLoop.current === loop, chunks.count, answer.content.isEmpty)
        }.value
        #expect(outcome.0, "a loop task must use its loop's curl multi")
        #expect(outcome.1, "the task must still run on its loop after the calls")
        #expect(outcome.2 >= 5)
        #expect(!outcome.3)
        // Off any loop, calls share the standby loop's multi: never a server loop's.
        #expect(CurlMulti.current().loop !== loop)
    }

    @Test func cancellingFromAnotherThreadClosesTheUpstreamStream() async throws {
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        let (client, gateway) = (fixture.client, fixture.gateway)
        let firstChunk = AsyncStream<Void>.makeStream()

        let task = Task(executorPreference: fixture.loop) {
            let stream = try await gateway.streamGenerate(
                GenerateRequest(model: "m", prompt: "fault:tokens=1000 fault:delay=20"),
                context: CallContext(requestID: "c"))
            for try await _ in stream { firstChunk.continuation.yield() }
        }
        var arrivals = firstChunk.stream.makeAsyncIterator()
        _ = await arrivals.next()
        task.cancel()  // from the test's thread: the multi must hop to its loop to remove the handle
        _ = await task.result
        for _ in 0..<200 where client.liveTransfers.current > 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(client.liveTransfers.current == 0, "the cancelled transfer was not removed")
    }
}
