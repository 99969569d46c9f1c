import Glibc
import Synchronization

/// A minimal Redis (RESP2) client: one connection, commands run one at a time on its own thread so that a
/// slow or absent Redis never blocks an event loop. Reconnects on the next command after a failure.
final class RESPClient: @unchecked Sendable {
    /// A reply from Redis.
    enum Reply: Equatable {
        case simple(String)
        case error(String)
        case integer(Int)
        case bulk([UInt8]?)
        case array([Reply]?)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let host: String
    private let port: Int
    private let timeoutSeconds: Int
    private let queue = Mutex<[(command: [String], done: @Sendable (Result<Reply, Failure>) -> Void)]>([])
    private let signal = Mutex<Bool>(false)
    private var condition = pthread_cond_t()
    private var mutex = pthread_mutex_t()
    // Touched only on the client's thread.
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []

    /// `url` is `redis://host:port`.
    init?(url: String, timeoutSeconds: Int = 1) {
        guard url.hasPrefix("redis://") else { return nil }
        var rest = url.dropFirst("redis://".count)
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        let parts = rest.split(separator: ":")
        host = parts.first.map(String.init) ?? "127.0.0.1"
        port = parts.count > 1 ? Int(parts[1]) ?? 6379 : 6379
        self.timeoutSeconds = timeoutSeconds
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

    func send(_ command: [String]) async throws -> Reply {
        try await withCheckedThrowingContinuation { continuation in
            queue.withLock { $0.append((command, { continuation.resume(with: $0) })) }
            pthread_mutex_lock(&mutex)
            pthread_cond_signal(&condition)
            pthread_mutex_unlock(&mutex)
        }
    }

    private func run() {
        while true {
            pthread_mutex_lock(&mutex)
            while queue.withLock({ $0.isEmpty }) { pthread_cond_wait(&condition, &mutex) }
            pthread_mutex_unlock(&mutex)
            let work = queue.withLock { queue in
                defer { queue.removeAll() }; return queue
            }
            for (command, done) in work { done(execute(command)) }
        }
    }

    private func execute(_ command: [String]) -> Result<Reply, Failure> {
        do {
            if fd < 0 { try connect() }
            var request = Array("*\(command.count)\r\n".utf8)
            for part in command { request += Array("$\(part.utf8.count)\r\n\(part)\r\n".utf8) }
            try writeAll(request)
            return .success(try readReply())
        } catch let failure as Failure {
            disconnect()
            return .failure(failure)
        } catch {
            disconnect()
            return .failure(Failure(description: "\(error)"))
        }
    }

    private func connect() throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let info = list else {
            throw Failure(description: "cannot resolve \(host)")
        }
        defer { freeaddrinfo(list) }
        let socketFD = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socketFD, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard Glibc.connect(socketFD, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            Glibc.close(socketFD)
            throw Failure(description: "cannot connect to redis at \(host):\(port)")
        }
        fd = socketFD
        buffer = []
    }

    private func disconnect() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
        buffer = []
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "redis write failed") }
            offset += n
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let n = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw Failure(description: "redis closed the connection or timed out") }
        buffer += chunk[0..<n]
    }

    private func line() throws -> String {
        while true {
            if let end = buffer.firstIndex(of: 0x0D), end + 1 < buffer.count, buffer[end + 1] == 0x0A {
                let text = String(decoding: buffer[0..<end], as: UTF8.self)
                buffer.removeFirst(end + 2)
                return text
            }
            try fill()
        }
    }

    private func readReply() throws -> Reply {
        let header = try line()
        guard let kind = header.first else { throw Failure(description: "empty redis reply") }
        let rest = String(header.dropFirst())
        switch kind {
        case "+": return .simple(rest)
        case "-": return .error(rest)
        case ":": return .integer(Int(rest) ?? 0)
        case "$":
            let length = Int(rest) ?? -1
            guard length >= 0 else { return .bulk(nil) }
            while buffer.count < length + 2 { try fill() }
            let data = Array(buffer[0..<length])
            buffer.removeFirst(length + 2)
            return .bulk(data)
        case "*":
            let count = Int(rest) ?? -1
            guard count >= 0 else { return .array(nil) }
            return .array(try (0..<count).map { _ in try readReply() })
        default:
            throw Failure(description: "unexpected redis reply \(header)")
        }
    }
}
