import Reactor

/// The tasks that run one loop's request handlers, kept parked between requests so the next request
/// reuses one instead of starting a task.
///
/// Why: a new task allocates its async frames from fresh slabs, and a unary gateway call's frames take
/// ~13 KiB, so every request paid ~13 mallocs and frees for them (~9 k instructions with the task's own
/// set-up). A parked worker keeps its slabs and the next request runs in them.
///
/// A worker that was cancelled (client gone, deadline) finishes its request and ends rather than park:
/// cancellation cannot be undone on a task. At most `maxParked` wait; more end when their request does.
///
/// Loop-confined: every method runs on `loop` (the workers' executor preference keeps them there).
final class RequestWorkers: @unchecked Sendable {
    /// One request handed to a worker.
    struct Job: Sendable {
        let request: ServerRequest
        let writer: any ResponseWriter
        let context: RequestContext
    }

    private unowned let loop: EventLoop
    private let responder: any HTTPResponder
    private let maxParked: Int
    private var parked: [Parked] = []
    private var stopped = false

    private struct Parked {
        let resume: UnsafeContinuation<Job?, Never>
        let worker: Worker
    }

    /// Holds a worker's own task handle, which requests it serves are cancelled through, and the job it is
    /// handed first: kept here rather than captured by the task's closure, which would hold that request
    /// (body, writer) for as long as the worker lives. Loop-confined.
    private final class Worker: @unchecked Sendable {
        var task: Task<Void, Never>?
        var job: Job?
    }

    init(loop: EventLoop, responder: any HTTPResponder, maxParked: Int = 64) {
        self.loop = loop
        self.responder = responder
        self.maxParked = maxParked
    }

    /// Hands the request to a parked worker, or to a new one when none waits.
    func dispatch(_ request: consuming ServerRequest, writer: any ResponseWriter) -> RequestContext {
        loop.assertOnLoop()
        let context = RequestContext(eventLoop: loop)
        // The job is made in each branch: one made before both was copied into whichever took it.
        if let waiting = parked.popLast() {
            context.task = waiting.worker.task
            waiting.resume.resume(returning: Job(request: request, writer: writer, context: context))
        } else {
            // The task cannot start before this returns (it runs on this loop), so `task` is set first.
            let worker = Worker()
            worker.job = Job(request: request, writer: writer, context: context)
            worker.task = Task(executorPreference: loop) { [self] in await work(worker) }
            context.task = worker.task
        }
        return context
    }

    /// Ends every parked worker; requests dispatched later still get one of their own.
    func stop() {
        loop.assertOnLoop()
        stopped = true
        for worker in parked { worker.resume.resume(returning: nil) }
        parked.removeAll()
    }

    /// Parked workers now: for tests.
    var parkedCount: Int {
        loop.assertOnLoop()
        return parked.count
    }

    /// Serves jobs until told to end. No job is bound to a name across the wait in `park`: a parked worker
    /// holds nothing of the request it served.
    private func work(_ worker: Worker) async {
        while worker.job != nil {
            await serve(worker.job.take()!)
            worker.job = await park(worker)
        }
    }

    private func serve(_ job: consuming Job) async {
        await responder.respond(to: job.request, writer: job.writer, context: job.context)
        // After this the context's cancel cannot reach the worker's next request.
        job.context.task = nil
    }

    /// Waits for the next job; nil when this worker should end instead.
    private func park(_ worker: Worker) async -> Job? {
        loop.assertOnLoop()
        guard !stopped, !Task.isCancelled, parked.count < maxParked else { return nil }
        return await withUnsafeContinuation { resume in
            parked.append(Parked(resume: resume, worker: worker))
        }
    }
}
