import NIOCore
import ParleyProtocol

/// The handler's `Scheduler`, backed by an event loop's timer.
struct EventLoopScheduler: Scheduler {
    let eventLoop: any EventLoop

    func schedule(after delay: Duration, _ work: @escaping @Sendable () -> Void) {
        eventLoop.scheduleTask(in: TimeAmount(delay)) { work() }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
