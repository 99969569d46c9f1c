internal import CShims
import Glibc

/// The outcome of a non-blocking read or write.
enum IOResult: Equatable {
    case transferred(Int)
    case wouldBlock
    case endOfFile
    case failed(Int32)
}

/// Every socket syscall the server makes, with EINTR retried and EAGAIN reported as "would block".
enum Syscall {
    static func read(_ fd: Int32, into buffer: inout [UInt8]) -> IOResult {
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 { return .transferred(n) }
            if n == 0 { return .endOfFile }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .failed(errno)
            }
        }
    }

    static func write(_ fd: Int32, _ bytes: ArraySlice<UInt8>) -> IOResult {
        while true {
            // MSG_NOSIGNAL: a peer that vanished must be an error code, never a SIGPIPE.
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n >= 0 { return .transferred(n) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .failed(errno)
            }
        }
    }

    /// What `accept` found.
    enum Accepted: Equatable {
        case connection(Int32)
        /// No connection is pending.
        case none
        /// Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): the pending connection stays
        /// queued, so the listening socket stays readable and accepting again at once would spin.
        case outOfResources(Int32)
    }

    /// Accepts one pending connection as a non-blocking socket.
    static func accept(_ listenFD: Int32) -> Accepted {
        while true {
            let fd = cshim_accept_nonblocking(listenFD)
            if fd >= 0 { return .connection(fd) }
            switch errno {
            case EINTR, ECONNABORTED: continue
            case EMFILE, ENFILE, ENOBUFS, ENOMEM: return .outOfResources(errno)
            default: return .none
            }
        }
    }

    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Makes the next `close` reset the connection (RST) instead of queueing a FIN behind unsent data: for
    /// a peer that stopped reading, whose orphaned socket the kernel would otherwise keep probing.
    static func setResetOnClose(_ fd: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }

    static func close(_ fd: Int32) {
        // Linux always releases the descriptor, even when close reports EINTR: never retry.
        _ = Glibc.close(fd)
    }
}
