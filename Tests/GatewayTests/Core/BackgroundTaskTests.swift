import Reactor
import Testing

@testable import Gateway

/// Background work runs on the standby loop, where what it awaits from the provider layer completes: its
/// task resumes on that loop's thread, not on the global pool.
@Suite struct BackgroundTaskTests {
    @Test func backgroundWorkRunsOnTheStandbyLoopBeforeAndAfterItWaits() async {
        let loops = Locked<[EventLoop?]>([])
        await BackgroundTask.start {
            loops.withLock { $0.append(EventLoop.current) }
            try? await Task.sleep(for: .milliseconds(1))
            loops.withLock { $0.append(EventLoop.current) }
        }.value
        let seen = loops.withLock { $0 }
        #expect(seen.count == 2)
        #expect(seen.allSatisfy { $0 === CurlMulti.standbyLoop })
    }
}
