import NIOCore
import Synchronization

/// The connections one event loop owns, and the owner of that loop's write path: a delivery
/// queues its frame on each recipient's writer, and the table flushes the writers that hold
/// frames, itself, when `LoopFlushPolicy` says so — each on its own, or all in one io_uring
/// submission (`SendRing`), whose results it hands back to each writer. Touched only on its loop
/// (but `pendingDeliveries`, counted from the posting thread).
final class LoopConnectionTable {
    var connections: [UInt64: WebSocketConnectionHandler] = [:]
    let pendingDeliveries = Atomic<Int>(0)
    let sendsThroughRing = Atomic<Int>(0)
    private var policy: LoopFlushPolicy
    /// Writers holding frames for the next flush; a writer's place is its tag in the ring.
    private var waiting: [PreEncodedFrameWriter] = []
    /// This loop's ring, once the policy asked for it (made on the loop's own thread).
    private var ring: SendRing?

    init(batchesSends: Bool) { policy = LoopFlushPolicy(batchesSends: batchesSends) }

    func deliver(_ frame: ByteBuffer, to ids: [UInt64]) {
        for id in ids {
            guard let connection = connections[id], connection.acceptsOutbound else { continue }
            let writer = connection.writer
            guard writer.queue(frame) else { continue }  // already waiting for this flush
            waiting.append(writer)
            if policy.flushesEarly(waiting: waiting.count, deliveriesInFlight: pendingDeliveries.load(ordering: .relaxed)) {
                flushWaiting()
            }
        }
        // Decremented after the writes: deliveries posted meanwhile join this burst.
        let stillInFlight = pendingDeliveries.subtract(1, ordering: .relaxed).newValue
        if policy.flushesAfterDelivery(deliveriesStillInFlight: stillInFlight) {
            flushWaiting()
        }
    }

    private func flushWaiting() {
        guard !waiting.isEmpty else { return }
        let path = policy.path(waiting: waiting.count)
        if path == .makeRingThenSubmit {
            ring = SendRing()
            policy.ringMade(ring != nil)
        }
        if path != .eachConnection, let ring {
            submit(on: ring)
        } else {
            for writer in waiting { writer.flush() }
        }
        waiting.removeAll(keepingCapacity: true)
    }

    private func submit(on ring: SendRing) {
        for (tag, writer) in waiting.enumerated() { writer.flush(into: ring, tag: tag) }
        sendsThroughRing.add(ring.count, ordering: .relaxed)
        let ringHeld = ring.sendAll { tag, result in waiting[tag].finishFlush(result: result) }
        if !ringHeld {
            self.ring = nil
            policy.ringFailed()
        }
    }
}
