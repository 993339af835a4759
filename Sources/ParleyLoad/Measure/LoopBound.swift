import NIOCore

/// A value made before the run starts and then used only on its event loop (asserted in debug
/// builds). `NIOLoopBound` must be created on the loop; these are made up front.
struct LoopBound<Value: AnyObject>: @unchecked Sendable {
    let eventLoop: any EventLoop
    private let wrapped: Value

    init(_ value: Value, eventLoop: any EventLoop) {
        self.wrapped = value
        self.eventLoop = eventLoop
    }

    var value: Value {
        eventLoop.assertInEventLoop()
        return wrapped
    }
}

/// The clients one event loop owns.
final class LoopClients {
    var byIndex: [Int: LoadClient] = [:]
}
