import Foundation

public struct RunReport: Codable, Sendable {
    public var clients: Int
    public var connect: ConnectReport
    public var phases: [PhaseReport]
    /// All phases together.
    public var overall: PhaseReport
    public var series: [SecondSample]
    /// Frames and payload bytes all clients received over the run, presence included.
    public var framesReceived: Int
    public var bytesReceived: Int
    /// With `measurePresence`: when clients first held the complete member list.
    public var presence: PresenceReport?
    /// Clients that stopped reading (`slowConsumers`), and how many the server closed.
    public var slowConsumers: SlowConsumerReport? = nil
    /// Clients that read their sockets on the direct receive path once ready (`--receive`);
    /// absent when every client stayed on NIO's.
    public var directReaders: Int? = nil
    /// The slowloris beside the members (`attack`), and what the server did to it.
    public var attack: AttackReport? = nil
    /// Clients that came back (`reconnect`): how they resumed, what they missed or got twice.
    public var resume: ResumeReport? = nil
    /// With `rooms:` in the scenario: the rooms as dealt and the figures per size class of room.
    public var rooms: RoomsReport? = nil
    /// Metric name → value, the names thresholds and `compare` use.
    public var metrics: [String: Double]
    public var thresholds: [ThresholdVerdict]
    /// "valid", or "generator-bound" when the generator was the bottleneck (`generator` says
    /// why). Absent in reports written before the generator watched itself.
    public var validity: GeneratorHealth.Validity? = nil
    public var generator: GeneratorHealth? = nil
    /// A run split over load agents (`run --agents`): each agent's part. The figures above are
    /// the merged ones.
    public var agents: [AgentReport]? = nil
    /// Against several targets (a cluster): fan-out on the publisher's node vs other nodes, and
    /// per node.
    public var nodes: NodeFanoutReport? = nil
    /// The scenario's `faults:` as they happened (seconds from the start of the phases).
    public var faults: [FaultReport]? = nil
}
