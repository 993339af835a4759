import Synchronization

/// The share an agent is running for its coordinator: the task, and where its start arrives.
final class ShareInProgress: @unchecked Sendable {
    // `task` is set once, on the session's task, before anything else reads it.
    var task: Task<Void, Never>?
    let starts: AsyncStream<UInt64>
    private let startContinuation: AsyncStream<UInt64>.Continuation
    private let running = Atomic<Bool>(true)

    init() { (starts, startContinuation) = AsyncStream.makeStream(of: UInt64.self) }

    var isRunning: Bool { running.load(ordering: .acquiring) }
    func start(at instant: UInt64) { startContinuation.yield(instant) }
    func finish() {
        running.store(false, ordering: .releasing)
        startContinuation.finish()
    }
    func cancel() {
        startContinuation.finish()
        task?.cancel()
    }
}
