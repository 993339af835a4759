/// When a loop's table flushes the connections a burst of deliveries left with frames, and how:
/// the decisions of the fan-out's last step (docs/ARCHITECTURE.md, "The fan-out, step by step",
/// step 5), apart from the sockets so they can be tested without any (`LoopFlushPolicyTests`).
///
/// - A delivery queues its frame on each connection; the delivery that finds no other one
///   waiting behind it (the last of a burst) flushes. At low rates that is every delivery; under
///   load, a burst's frames leave together, one `writev` per connection instead of one each.
///   Measured with 1,000 clients (server on one core): flushing per frame sustained 60 msg/s
///   within a p99 of 100 ms; this sustains well past 100 msg/s.
/// - A broadcast alone in its burst does not hold its first sockets back until its last is
///   queued: they leave `earlyFlushChunk` at a time (p50 at 1,000 clients 4.6-4.9 -> 4.0 ms).
/// - On the io_uring write path, a flush of two or more connections goes in one submission; one
///   connection's own send costs what a submission would. Once the kernel refuses a ring, or a
///   ring fails, this loop sends per connection for good.
struct LoopFlushPolicy: Equatable {
    /// How a flush hands its connections' frames to the kernel.
    enum Path: Equatable {
        /// Each connection's writer sends its own (direct path), or hands them to NIO.
        case eachConnection
        /// One io_uring submission for all of them; the ring must be made first.
        case makeRingThenSubmit
        /// One io_uring submission for all of them, on the loop's ring.
        case submit
    }

    enum Ring: Equatable {
        /// The write path is not `uring` (or the connections are TLS).
        case notWanted
        /// Wanted, not made yet: made on the loop's first flush that needs it, on its own thread.
        case notMade
        case ready
        /// The kernel (or a seccomp filter) refused to make one, or one failed mid-flush.
        case givenUp
    }

    /// A lone broadcast's sockets are flushed this many at a time (one submission each): enough
    /// to spread a system call over many sends, few enough that the first recipients do not wait
    /// for the last to be queued.
    static let earlyFlushChunk = 256

    private(set) var ring: Ring

    init(batchesSends: Bool) { ring = batchesSends ? .notMade : .notWanted }

    /// After a connection joined the flush list (now `waiting` long) during a delivery: whether
    /// to flush now. Only when a chunk has gathered and this delivery is alone in its burst
    /// (`deliveriesInFlight` counts it); with deliveries behind it, the burst's last one flushes.
    /// Asked once per recipient: the count (an atomic shared with the posting threads) is read
    /// only once a chunk has gathered, not per recipient.
    func flushesEarly(waiting: Int, deliveriesInFlight: @autoclosure () -> Int) -> Bool {
        waiting == Self.earlyFlushChunk && deliveriesInFlight() == 1
    }

    /// After a delivery's frames are queued: whether it was the burst's last (none in flight).
    func flushesAfterDelivery(deliveriesStillInFlight: Int) -> Bool {
        deliveriesStillInFlight == 0
    }

    /// How to flush `waiting` connections (none: nothing to do, never asked).
    func path(waiting: Int) -> Path {
        guard waiting > 1 else { return .eachConnection }
        switch ring {
        case .notWanted, .givenUp: return .eachConnection
        case .notMade: return .makeRingThenSubmit
        case .ready: return .submit
        }
    }

    /// What became of `makeRingThenSubmit`'s ring.
    mutating func ringMade(_ made: Bool) {
        guard ring == .notMade else { return }
        ring = made ? .ready : .givenUp
    }

    /// The ring failed during a submission: it is dropped, and this loop sends per connection.
    mutating func ringFailed() {
        ring = ring == .notWanted ? .notWanted : .givenUp
    }
}
