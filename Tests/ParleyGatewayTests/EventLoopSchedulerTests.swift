import NIOPosix
import Synchronization
import Testing

@testable import ParleyGateway

/// The room's timers on an event loop, including the late one that arrives after the loop
/// stopped (a cluster notification applied during shutdown): dropped, not a crash.
@Suite struct EventLoopSchedulerTests {
    @Test func workRunsAfterItsDelay() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let scheduler = EventLoopScheduler(eventLoop: group.next())
        let ran = Atomic<Bool>(false)
        let start = ContinuousClock.now
        scheduler.schedule(after: .milliseconds(30)) { ran.store(true, ordering: .releasing) }
        while !ran.load(ordering: .acquiring) && ContinuousClock.now - start < .seconds(5) {
            try await Task.sleep(for: .milliseconds(5))
        }
        let didRun = ran.load(ordering: .acquiring)
        #expect(didRun)
        #expect(ContinuousClock.now - start >= .milliseconds(30))
        try await group.shutdownGracefully()
    }

    @Test func workScheduledOnAStoppedLoopIsDropped() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let scheduler = EventLoopScheduler(eventLoop: group.next())
        try await group.shutdownGracefully()
        // With scheduleTask this leaked a promise, which NIO traps on in debug builds.
        scheduler.schedule(after: .milliseconds(1)) { Issue.record("ran on a stopped loop") }
        try await Task.sleep(for: .milliseconds(20))
    }
}
