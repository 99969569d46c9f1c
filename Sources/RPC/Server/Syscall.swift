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

    /// Accepts one pending connection as a non-blocking socket; nil when none is pending.
    static func accept(_ listenFD: Int32) -> Int32? {
        while true {
            let fd = cshim_accept_nonblocking(listenFD)
            if fd >= 0 { return fd }
            switch errno {
            case EINTR, ECONNABORTED: continue
            default: return nil  // EAGAIN, or EMFILE and kin: try again on the next readiness event
            }
        }
    }

    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    static func close(_ fd: Int32) {
        // Linux always releases the descriptor, even when close reports EINTR: never retry.
        _ = Glibc.close(fd)
    }
}
