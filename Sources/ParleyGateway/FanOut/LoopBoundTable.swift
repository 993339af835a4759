import NIOCore

/// A loop's table, reachable from any thread but usable only on its loop (asserted in debug).
/// `NIOLoopBound` would do the same but must be created on the loop, and these are made at start.
struct LoopBoundTable: @unchecked Sendable {
    private let eventLoop: any EventLoop
    private let table: LoopConnectionTable

    init(eventLoop: any EventLoop, batchesSends: Bool) {
        self.eventLoop = eventLoop
        self.table = LoopConnectionTable(batchesSends: batchesSends)
    }

    /// Counts a delivery task on its way to this loop (from any thread).
    func deliveryQueued() { table.pendingDeliveries.add(1, ordering: .relaxed) }

    /// Connections' flushes that went out in an io_uring submission (from any thread).
    var sendsThroughRing: Int { table.sendsThroughRing.load(ordering: .relaxed) }

    var value: LoopConnectionTable {
        eventLoop.assertInEventLoop()
        return table
    }
}
