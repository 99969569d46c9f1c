import Glibc

/// Why the server could not listen.
public struct ListenError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// Opens non-blocking TCP listening sockets with SO_REUSEPORT, so every loop accepts on its own socket.
enum ListeningSocket {
    /// Binds `count` sockets to one address; with port 0 the first picks the port and the rest share it.
    static func bind(host: String, port: Int, count: Int) throws -> (fds: [Int32], port: Int) {
        var fds: [Int32] = []
        var actualPort = port
        do {
            for _ in 0..<count {
                let fd = try bindOne(host: host, port: actualPort)
                fds.append(fd)
                if actualPort == 0 { actualPort = try boundPort(fd) }
            }
        } catch {
            fds.forEach(Syscall.close)
            throw error
        }
        return (fds, actualPort)
    }

    private static func bindOne(host: String, port: Int) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let info = list else {
            throw ListenError(description: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(
            info.pointee.ai_family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ListenError(description: "socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        guard Glibc.bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let reason = String(cString: strerror(errno))
            Syscall.close(fd)
            throw ListenError(description: "cannot listen on \(host):\(port): \(reason)")
        }
        guard listen(fd, 4096) == 0 else {
            let reason = String(cString: strerror(errno))
            Syscall.close(fd)
            throw ListenError(description: "listen: \(reason)")
        }
        return fd
    }

    private static func boundPort(_ fd: Int32) throws -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { throw ListenError(description: "getsockname: \(String(cString: strerror(errno)))") }
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { pointer -> Int in
            if family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    Int(UInt16(bigEndian: $0.pointee.sin6_port))
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                Int(UInt16(bigEndian: $0.pointee.sin_port))
            }
        }
    }
}
