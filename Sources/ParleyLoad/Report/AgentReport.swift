/// One load agent's part of a distributed run: its clients, what they received, its own view of
/// the fan-out, how well its clock is known, and whether it kept up.
public struct AgentReport: Codable, Sendable, Equatable {
    /// As given to `--agents` (host:port).
    public var address: String
    public var clients: Int
    /// Publishers of the busiest phase on this agent.
    public var publishers: Int
    public var connected: Int
    public var received: Int
    public var messagesSent: Int
    public var fanoutP50Micros: Double?
    public var fanoutP99Micros: Double?
    /// Its clock minus the coordinator's (µs), and the bound on that estimate's error (half the
    /// round trip of the best exchange). Deliveries timed across agents carry this error.
    public var clockOffsetMicros: Double
    public var clockErrorMicros: Double
    public var validity: GeneratorHealth.Validity
    /// Why it was generator-bound, when it was.
    public var reasons: [String]
    public var loopBusy: [Double]
}

extension RunReport {
    /// A split run's agents, and its validity from theirs: whether the generator kept up is
    /// each agent's own question (its loops, its cores), so the run is generator-bound when any
    /// agent was, with that agent's reasons.
    mutating func attach(_ agents: [AgentReport]) {
        self.agents = agents
        guard var generator else { return }
        let bound = agents.filter { $0.validity == .generatorBound }
        generator.validity = bound.isEmpty ? .valid : .generatorBound
        generator.reasons = bound.flatMap { agent in agent.reasons.map { "agent \(agent.address): \($0)" } }
        self.generator = generator
        validity = generator.validity
        metrics = Metrics.values(of: self)
    }
}
