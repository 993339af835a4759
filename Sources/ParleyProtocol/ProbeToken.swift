/// The load harness's probe token, `PRB:<run>:<publisher>:<seq>:<scheduled_ns>:PRB`: ASCII only,
/// so it survives being wrapped as `"alice: …"` inside JSON and can be found by a byte scan.
public struct ProbeToken: Sendable, Hashable {
    public var run: UInt32
    public var publisher: UInt32
    public var seq: UInt64
    public var scheduledNanos: UInt64

    public init(run: UInt32, publisher: UInt32, seq: UInt64, scheduledNanos: UInt64) {
        self.run = run
        self.publisher = publisher
        self.seq = seq
        self.scheduledNanos = scheduledNanos
    }

    public var text: String { "PRB:\(run):\(publisher):\(seq):\(scheduledNanos):PRB" }
}
