import Glibc

/// SIGTERM / SIGINT (stop) and SIGHUP (reload) as a blocking wait, so shutdown and reloads run as ordinary
/// code on the main thread.
///
/// `block()` must run before any other thread starts (threads inherit the mask); the signals are then
/// only ever delivered to `wait()`'s `sigwait`, never to an arbitrary thread.
public enum TerminationSignals {
    private static func set() -> sigset_t {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGHUP)
        return signals
    }

    public static func block() {
        var signals = set()
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    /// Blocks until SIGTERM, SIGINT or SIGHUP arrives; returns the signal number.
    public static func wait() -> Int32 {
        var signals = set()
        var received: Int32 = 0
        while sigwait(&signals, &received) != 0 {}
        return received
    }
}
