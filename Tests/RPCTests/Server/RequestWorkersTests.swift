import Reactor
import Testing

@testable import RPC

/// The loop's parked handler tasks: reused between requests, never carrying one request's cancellation
/// into the next, bounded, and ended on stop.
@Suite struct RequestWorkersTests {
    @Test func aParkedWorkerServesTheNextRequest() async throws {
        let fixture = Fixture()
        defer { fixture.group.shutdown() }
        let first = try await fixture.serve("a")
        #expect(try await fixture.parked() == 1)
        let second = try await fixture.serve("b")
        // The first worker is still parked (alive), so an equal task identity is the same task.
        #expect(first.task == second.task)
        #expect(try await fixture.parked() == 1)
    }

    /// A parked worker keeps its stack, not the request it served (its body and writer can be large).
    @Test func aParkedWorkerHoldsNothingOfItsRequest() async throws {
        let fixture = Fixture()
        defer { fixture.group.shutdown() }
        for name in ["first", "second"] {  // the first job is handed over at the task's start, later ones when parked
            let writer = try await fixture.loop.run { [workers = fixture.workers] in
                let writer = NullWriter()
                _ = workers.dispatch(ServerRequest(method: "POST", path: name), writer: writer)
                return WeakWriter(writer)
            }
            _ = try await fixture.responder.finished(name)
            #expect(try await fixture.parked() == 1)
            #expect(writer.object == nil, "the \(name) request's writer is released once its worker parks")
        }
    }

    @Test func aCancelledRequestsWorkerEndsAndTheNextIsNotCancelled() async throws {
        let fixture = Fixture()
        defer { fixture.group.shutdown() }
        let context = try await fixture.dispatch("wait")
        try await fixture.responder.started("wait")
        try await fixture.loop.run { context.cancel() }
        #expect(try await fixture.responder.finished("wait").cancelled)
        #expect(try await fixture.parked() == 0, "a cancelled task cannot take another request")
        #expect(try await fixture.serve("next").cancelled == false)
    }

    @Test func cancellingAFinishedRequestLeavesTheWorkersNextRequestAlone() async throws {
        let fixture = Fixture()
        defer { fixture.group.shutdown() }
        let earlier = try await fixture.dispatch("earlier")
        _ = try await fixture.responder.finished("earlier")
        _ = try await fixture.dispatch("wait")
        try await fixture.responder.started("wait")
        // A connection that closes cancels the context of the last request it had, long finished.
        try await fixture.loop.run { earlier.cancel() }
        fixture.responder.release("wait")
        let later = try await fixture.responder.finished("wait")
        #expect(later.cancelled == false)
    }

    @Test func noMoreThanTheCapWait() async throws {
        let fixture = Fixture(maxParked: 2)
        defer { fixture.group.shutdown() }
        let names = ["w0", "w1", "w2", "w3"]
        for name in names { _ = try await fixture.dispatch(name) }
        for name in names { try await fixture.responder.started(name) }
        for name in names { fixture.responder.release(name) }
        for name in names { _ = try await fixture.responder.finished(name) }
        #expect(try await fixture.parked() == 2)
    }

    @Test func stopEndsTheParkedWorkers() async throws {
        let fixture = Fixture()
        defer { fixture.group.shutdown() }
        // The handle is read in the same loop turn as the dispatch, before the request can finish.
        let task = try await fixture.loop.run { [workers = fixture.workers] in
            workers.dispatch(ServerRequest(method: "POST", path: "a"), writer: NullWriter()).task
        }
        _ = try await fixture.responder.finished("a")
        #expect(try await fixture.parked() == 1)
        try await fixture.loop.run { [workers = fixture.workers] in workers.stop() }
        #expect(await ends(try #require(task)), "stop resumes the parked worker, which then returns")
        #expect(try await fixture.parked() == 0)
    }
}

/// Whether `task` returns within 30 s: a worker left parked would never return, and `value` does not
/// give up on cancellation, so a time limit alone would leave the test hanging.
private func ends(_ task: Task<Void, Never>) async -> Bool {
    let answered = Locked(false)
    return await withCheckedContinuation { (answer: CheckedContinuation<Bool, Never>) in
        let once: @Sendable (Bool) -> Void = { ended in
            if answered.withLock({ was in
                defer { was = true }; return !was
            }) {
                answer.resume(returning: ended)
            }
        }
        Task {
            await task.value; once(true)
        }
        Task {
            try? await Task.sleep(for: .seconds(30)); once(false)
        }
    }
}

/// A loop with its workers, and a responder that reports each request by its path.
private struct Fixture: Sendable {
    let group = EventLoopGroup(count: 1)
    let responder = ProbeResponder()
    let workers: RequestWorkers
    var loop: EventLoop { group.loops[0] }

    init(maxParked: Int = 64) {
        group.start()
        workers = RequestWorkers(loop: group.loops[0], responder: responder, maxParked: maxParked)
    }

    func dispatch(_ name: String) async throws -> RequestContext {
        try await loop.run { [workers] in
            workers.dispatch(ServerRequest(method: "POST", path: name), writer: NullWriter())
        }
    }

    func serve(_ name: String) async throws -> ProbeResponder.Served {
        _ = try await dispatch(name)
        return try await responder.finished(name)
    }

    func parked() async throws -> Int { try await loop.run { [workers] in workers.parkedCount } }
}

/// Records which task served each request and whether it was cancelled; requests whose path starts with
/// "w" wait until released, and "wait" waits until released or cancelled.
private final class ProbeResponder: HTTPResponder, @unchecked Sendable {
    struct Served: Sendable {
        let task: Int
        let cancelled: Bool
    }

    private let events = Locked<[String: Event]>([:])

    private struct Event {
        var started = false
        var served: Served?
        var released = false
        var startWaiters: [CheckedContinuation<Void, Never>] = []
        var finishWaiters: [CheckedContinuation<Served, Never>] = []
        var release: CheckedContinuation<Void, Never>?
    }

    func respond(to request: ServerRequest, writer: any ResponseWriter, context: RequestContext) async {
        let name = request.path
        let starters = events.withLock { events in
            events[name, default: Event()].started = true
            defer { events[name]?.startWaiters = [] }
            return events[name]!.startWaiters
        }
        for waiter in starters { waiter.resume() }
        if name.hasPrefix("w") {
            await withTaskCancellationHandler {
                await withCheckedContinuation { release in
                    let now = events.withLock { events in
                        if events[name]!.released || (name == "wait" && Task.isCancelled) { return true }
                        events[name]!.release = release
                        return false
                    }
                    if now { release.resume() }
                }
            } onCancel: {
                if name == "wait" { self.release(name) }
            }
        }
        let served = Served(task: withUnsafeCurrentTask { $0?.hashValue ?? 0 }, cancelled: Task.isCancelled)
        let finishers = events.withLock { events in
            events[name]!.served = served
            defer { events[name]!.finishWaiters = [] }
            return events[name]!.finishWaiters
        }
        for waiter in finishers { waiter.resume(returning: served) }
    }

    func release(_ name: String) {
        let waiting = events.withLock { events in
            events[name, default: Event()].released = true
            defer { events[name]!.release = nil }
            return events[name]!.release
        }
        waiting?.resume()
    }

    func started(_ name: String) async throws {
        await withCheckedContinuation { waiter in
            let now = events.withLock { events in
                if events[name, default: Event()].started { return true }
                events[name]!.startWaiters.append(waiter)
                return false
            }
            if now { waiter.resume() }
        }
    }

    func finished(_ name: String) async throws -> Served {
        await withCheckedContinuation { waiter in
            let done = events.withLock { events -> Served? in
                if let served = events[name, default: Event()].served { return served }
                events[name]!.finishWaiters.append(waiter)
                return nil
            }
            if let done { waiter.resume(returning: done) }
        }
    }
}

private final class WeakWriter: @unchecked Sendable {
    weak var object: NullWriter?
    init(_ object: NullWriter) { self.object = object }
}

private final class NullWriter: ResponseWriter, @unchecked Sendable {
    func writeHead(_ head: ResponseHead) async throws {}
    func writeBody(_ bytes: [UInt8]) async throws {}
    func finish(head: ResponseHead?, trailers: HTTPFields) async throws {}
}
