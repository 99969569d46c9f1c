/// Routes requests by method and path to responders; both front doors register their endpoints here.
///
/// Exact paths are looked up in a list (see `index(ofPath:)`); prefix routes (such as `/api/v1/models/`
/// followed by a name that may itself contain `/`) are tried longest first. A path that matches with the
/// wrong method goes to `methodNotAllowed` with the allowed methods; anything else goes to `notFound`.
public struct Router: Sendable {
    public typealias Handler = @Sendable (ServerRequest, any ResponseWriter, RequestContext) async -> Void
    public typealias MethodNotAllowedHandler =
        @Sendable (ServerRequest, any ResponseWriter, RequestContext, [String]) async -> Void

    /// Exact routes' paths, and at the same index their handlers by method: the paths are scanned on their
    /// own, as stepping through (path, handlers) pairs would retain each pair's dictionary.
    private var exactPaths: [String] = []
    private var exactHandlers: [[String: Handler]] = []
    private var prefixes: [(prefix: String, handlers: [String: Handler])] = []
    public var notFound: Handler
    public var methodNotAllowed: MethodNotAllowedHandler

    public init(notFound: @escaping Handler, methodNotAllowed: @escaping MethodNotAllowedHandler) {
        self.notFound = notFound
        self.methodNotAllowed = methodNotAllowed
    }

    public mutating func add(_ method: String, _ path: String, _ handler: @escaping Handler) {
        if let index = exactPaths.firstIndex(of: path) {
            exactHandlers[index][method] = handler
        } else {
            exactPaths.append(path)
            exactHandlers.append([method: handler])
        }
    }

    /// Registers `handler` for every path that starts with `prefix` (and is longer than it).
    public mutating func add(_ method: String, prefix: String, _ handler: @escaping Handler) {
        if let index = prefixes.firstIndex(where: { $0.prefix == prefix }) {
            prefixes[index].handlers[method] = handler
        } else {
            prefixes.append((prefix, [method: handler]))
            prefixes.sort { $0.prefix.count > $1.prefix.count }
        }
    }

    /// The handlers registered for `path`, if any route matches it.
    func handlers(for path: String) -> [String: Handler]? {
        if let index = exactPaths.index(ofPath: path) { return exactHandlers[index] }
        return prefixes.first { path.hasPrefix($0.prefix) && path.count > $0.prefix.count }?.handlers
    }
}

extension Router: HTTPResponder {
    public func respond(to request: ServerRequest, writer: any ResponseWriter, context: RequestContext) async {
        guard let handlers = handlers(for: request.path) else {
            return await notFound(request, writer, context)
        }
        if let handler = handlers[request.method] ?? (request.method == "HEAD" ? handlers["GET"] : nil) {
            return await handler(request, writer, context)
        }
        await methodNotAllowed(request, writer, context, handlers.keys.sorted())
    }
}
