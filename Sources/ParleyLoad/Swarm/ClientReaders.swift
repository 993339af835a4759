/// The loops that read members' frames and record what arrives: NIO's event loops
/// (`NIOClientReaders`), and the direct receive path's epoll threads (`DirectClientReaders`).
/// A run asks the same of both, so it never needs to know which path a reader is on.
protocol ClientReaders: Sendable {
    /// Every recorder starts counting by phase, and the loops' lag probes start.
    func startPhases(_ clock: PhaseClock) async throws
    /// Each loop's busy time so far (CPU seconds, or time not spent waiting for the network).
    func busySeconds() async throws -> [Double]
    /// `read` of each loop's recorder, on that loop's own thread.
    func eachRecorder<T: Sendable>(_ read: @escaping @Sendable (LoopRecorder) -> T) async throws -> [T]
    /// After the drain: every client closed, and what each loop measured.
    func collect() async throws -> ReadersCollected
    /// The run failed: close everything and stop whatever runs on its own thread.
    func abandon() async
}

/// What `ClientReaders.collect` hands back.
struct ReadersCollected {
    var measurements: [LoopMeasurements] = []
    var intervals: [MembershipInterval] = []
    /// Clients the direct path adopted once they were ready (NIO's loops count none: they read
    /// every client that was not adopted).
    var directReaders = 0
}
