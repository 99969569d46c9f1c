import Glibc
import Reactor

/// A minimal Redis (RESP2) client: one connection, commands run one at a time on its own thread so that a
/// slow or absent Redis never blocks an event loop.
///
/// Nothing a caller does waits on Redis for longer than its `timeout`: a command is answered by Redis or
/// failed at its deadline, whichever comes first, and a command whose caller gave up is skipped. The queue
/// is bounded; after a failed connect the client stays down for `retryDelay` and fails commands at once,
/// rather than spend a connect timeout on each.
final class RESPClient: @unchecked Sendable {
    typealias Reply = RESPReply

    struct Failure: Error, CustomStringConvertible {
        var description: String
        var isTimeout = false
    }

    /// One command and its caller, answered exactly once.
    private final class Pending: Sendable {
        let command: [String]
        private let continuation = Locked<CheckedContinuation<Reply, any Error>?>(nil)

        init(_ command: [String]) {
            self.command = command
        }

        func wait(_ continuation: CheckedContinuation<Reply, any Error>) {
            self.continuation.withLock { $0 = continuation }
        }

        /// True while the caller still waits for an answer.
        var isWaiting: Bool { continuation.withLock { $0 != nil } }

        func settle(_ result: Result<Reply, any Error>) {
            continuation.withLock { pending in
                defer { pending = nil }
                return pending
            }?.resume(with: result)
        }
    }

    private let host: String
    private let port: Int
    let timeout: Duration
    let retryDelay: Duration
    let maxQueued: Int
    private let queue = Locked<[Pending]>([])
    private var condition = pthread_cond_t()
    private var mutex = pthread_mutex_t()
    // Touched only on the client's thread.
    private var fd: Int32 = -1
    private var reader = RESPReader()
    private var downUntil: ContinuousClock.Instant?

    /// `url` is `redis://host:port`.
    init?(
        url: String, timeout: Duration = .milliseconds(100), retryDelay: Duration = .seconds(1), maxQueued: Int = 1024
    ) {
        guard url.hasPrefix("redis://") else { return nil }
        var rest = url.dropFirst("redis://".count)
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        let parts = rest.split(separator: ":")
        host = parts.first.map(String.init) ?? "127.0.0.1"
        port = parts.count > 1 ? Int(parts[1]) ?? 6379 : 6379
        guard (1...65535).contains(port) else { return nil }
        self.timeout = timeout
        self.retryDelay = retryDelay
        self.maxQueued = maxQueued
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        let box = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        guard
            pthread_create(
                &thread, nil,
                { raw in
                    Unmanaged<RESPClient>.fromOpaque(raw!).takeRetainedValue().run()
                    return nil
                }, box) == 0
        else { return nil }
        pthread_detach(thread)
    }

    /// Runs `command`; throws `Failure` when Redis is down, the queue is full, or no answer came in time.
    func send(_ command: [String]) async throws -> Reply {
        let pending = Pending(command)
        let timeout = self.timeout
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                pending.wait(continuation)
                let accepted = queue.withLock { queue -> Bool in
                    guard queue.count < maxQueued else { return false }
                    queue.append(pending)
                    return true
                }
                guard accepted else {
                    return pending.settle(.failure(Failure(description: "too many redis commands waiting")))
                }
                pthread_mutex_lock(&mutex)
                pthread_cond_signal(&condition)
                pthread_mutex_unlock(&mutex)
                Self.fail(pending, after: timeout)
            }
        } onCancel: {
            pending.settle(.failure(CancellationError()))
        }
    }

    /// Fails `pending` at its deadline unless it was answered first: on the caller's event loop when it has
    /// one (a timer, no thread), else from a task.
    private static func fail(_ pending: Pending, after timeout: Duration) {
        let failure = Failure(description: "redis did not answer within \(timeout)", isTimeout: true)
        if let loop = EventLoop.current {
            loop.schedule(afterNanoseconds: UInt64(timeout.nanoseconds)) { pending.settle(.failure(failure)) }
        } else {
            Task {
                try? await Task.sleep(for: timeout)
                pending.settle(.failure(failure))
            }
        }
    }

    private func run() {
        while true {
            pthread_mutex_lock(&mutex)
            while queue.withLock({ $0.isEmpty }) { pthread_cond_wait(&condition, &mutex) }
            pthread_mutex_unlock(&mutex)
            let work = queue.withLock { queue in
                defer { queue.removeAll() }
                return queue
            }
            // Commands whose callers already gave up are not sent.
            for pending in work where pending.isWaiting { pending.settle(execute(pending.command)) }
        }
    }

    private func execute(_ command: [String]) -> Result<Reply, any Error> {
        do {
            if fd < 0 { try connect() }
            var request = Array("*\(command.count)\r\n".utf8)
            for part in command { request += Array("$\(part.utf8.count)\r\n\(part)\r\n".utf8) }
            try writeAll(request)
            return .success(try readReply())
        } catch {
            // Whatever failed (connect, a write, a reply that never came), the next commands fail at once
            // for a while instead of each waiting its own timeout.
            disconnect()
            downUntil = .now + retryDelay
            return .failure(error)
        }
    }

    private func connect() throws {
        if let downUntil, ContinuousClock.now < downUntil {
            throw Failure(description: "redis at \(host):\(port) is down; retrying after a pause")
        }
        try open()
        downUntil = nil
    }

    private func open() throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let info = list else {
            throw Failure(description: "cannot resolve \(host)")
        }
        defer { freeaddrinfo(list) }
        let socketFD = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard socketFD >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        // Linux applies SO_SNDTIMEO to connect too: a black-holed address costs one timeout, not minutes.
        let microseconds = Int(timeout.nanoseconds / 1000)
        var limit = timeval(tv_sec: microseconds / 1_000_000, tv_usec: microseconds % 1_000_000)
        setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socketFD, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        guard Glibc.connect(socketFD, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            Glibc.close(socketFD)
            throw Failure(description: "cannot connect to redis at \(host):\(port)")
        }
        fd = socketFD
        reader = RESPReader()
    }

    private func disconnect() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
        reader = RESPReader()
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "redis write failed") }
            offset += n
        }
    }

    private func readReply() throws -> Reply {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let reply = try reader.next() { return reply }
            let n = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw Failure(description: "redis closed the connection or timed out") }
            reader.append(chunk[0..<n])
        }
    }
}
