import Reactor

/// What every connection of a server shares: the limits, the responder that answers requests, and the
/// renderer of errors the server answers itself.
final class ServerServices: Sendable {
    let limits: ServerLimits
    let responder: any HTTPResponder
    let errorRenderer: ProtocolErrorRenderer

    init(limits: ServerLimits, responder: any HTTPResponder, errorRenderer: ProtocolErrorRenderer) {
        self.limits = limits
        self.responder = responder
        self.errorRenderer = errorRenderer
    }

    /// Starts the request's handler as a task on `loop`, so reading, handling and writing share a thread.
    func dispatch(_ request: ServerRequest, writer: any ResponseWriter, loop: EventLoop) -> RequestContext {
        let context = RequestContext(eventLoop: loop)
        let responder = self.responder
        context.task = Task(executorPreference: loop) {
            await responder.respond(to: request, writer: writer, context: context)
        }
        return context
    }
}
