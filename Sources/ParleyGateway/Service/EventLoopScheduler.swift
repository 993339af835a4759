import NIOCore
import ParleyProtocol

/// The handler's `Scheduler`, backed by an event loop's timer.
///
/// A callback, not `scheduleTask`: a cluster's bus can still apply a late notification (and the
/// room ask for a presence timer) while the gateway's loops shut down. `scheduleTask` on a loop
/// that has shut down leaks its promise, which NIO turns into a crash in debug builds (seen in
/// the cluster tests); `scheduleCallback` fails with an error instead, and the timer is dropped
/// with the loop it would have run on.
struct EventLoopScheduler: Scheduler {
    let eventLoop: any EventLoop

    func schedule(after delay: Duration, _ work: @escaping @Sendable () -> Void) {
        _ = try? eventLoop.scheduleCallback(in: TimeAmount(delay), handler: Work(work: work))
    }

    private struct Work: NIOScheduledCallbackHandler, Sendable {
        let work: @Sendable () -> Void
        func handleScheduledCallback(eventLoop: some EventLoop) { work() }
        func didCancelScheduledCallback(eventLoop: some EventLoop) {}
    }
}
