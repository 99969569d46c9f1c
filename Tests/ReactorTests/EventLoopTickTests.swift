import Glibc
import Testing

@testable import Reactor

@Suite struct EventLoopTickTests {
    /// Records what a loop did, in order; `entries` is touched only on the loop's thread.
    final class Log: @unchecked Sendable {
        var entries: [String] = []
        let expectedFlushes: Int
        private var flushes = 0
        private var allFlushed = sem_t()

        init(expectedFlushes: Int) {
            self.expectedFlushes = expectedFlushes
            sem_init(&allFlushed, 0, 0)
        }

        deinit { sem_destroy(&allFlushed) }

        func flushed(_ name: Int) {
            entries.append("flush \(name)")
            flushes += 1
            if flushes == expectedFlushes { sem_post(&allFlushed) }
        }

        /// Blocks the test's thread without touching the loop: a wake-up would be one more event in the batch.
        func waitForAllFlushes() {
            while sem_wait(&allFlushed) != 0, errno == EINTR {}
        }
    }

    /// A pipe that, when readable, logs its event and queues work that logs again.
    final class Source: FDWatcher, TickEndObserver, @unchecked Sendable {
        let fd: Int32
        let writeFD: Int32
        let name: Int
        let loop: EventLoop
        let log: Log

        init(name: Int, loop: EventLoop, log: Log) {
            self.name = name
            self.loop = loop
            self.log = log
            var fds: [Int32] = [0, 0]
            precondition(pipe(&fds) == 0)
            (fd, writeFD) = (fds[0], fds[1])
            _ = fcntl(fd, F_SETFL, O_NONBLOCK)
        }

        deinit {
            close(fd)
            close(writeFD)
        }

        func handleEvents(_ events: UInt32) {
            var byte: UInt8 = 0
            _ = read(fd, &byte, 1)
            log.entries.append("event \(name)")
            loop.notifyAtTickEnd(self)
            loop.execute { [self] in log.entries.append("work \(name)") }
        }

        func loopTickEnded() { log.flushed(name) }
    }

    @Test func workQueuedByAnEventRunsAndFlushesBeforeTheBatchIsRead() {
        let group = EventLoopGroup(count: 1)
        group.start()
        defer { group.shutdown() }
        let loop = group.loops[0]
        let count = 3 * EventLoop.eventsPerTick
        let log = Log(expectedFlushes: count)
        let sources = (0..<count).map { Source(name: $0, loop: loop, log: log) }
        // Registered and made readable in one loop turn, so the next poll reports all of them at once.
        loop.runAndWait {
            for source in sources {
                loop.register(source.fd, events: EventLoop.readEvents, watcher: source)
                var byte: UInt8 = 1
                _ = write(source.writeFD, &byte, 1)
            }
        }
        log.waitForAllFlushes()
        var entries: [String] = []
        loop.runAndWait {
            for source in sources { loop.unregister(source.fd) }
            entries = log.entries
        }
        #expect(entries.count == 3 * sources.count)
        // An event waits for at most `eventsPerTick - 1` others before its work runs and its output is
        // flushed. (The loop's own wake-up may share the batch and move where a tick starts, hence "at most".)
        var handled = 0
        for (position, entry) in entries.enumerated() where entry.hasPrefix("event") {
            let before = entries[..<position]
            let worked = before.filter { $0.hasPrefix("work") }.count
            let flushed = before.filter { $0.hasPrefix("flush") }.count
            let due = max(0, handled - EventLoop.eventsPerTick + 1)
            #expect(worked >= due && flushed >= due, "before \(entry): \(entries)")
            handled += 1
        }
    }
}
