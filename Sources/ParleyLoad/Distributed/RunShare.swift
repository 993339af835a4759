/// The part of one run an agent performs when a coordinator splits it (`run --agents`): which
/// clients (by global index, so names and targets match a single-process run), which publisher
/// slots of each phase, and the run's common identity and clock.
///
/// Times cross agents in the coordinator's timebase ("common" time): an agent's local monotonic
/// clock plus `shift`. Probe tokens carry common time, so a receiver on another agent can time a
/// delivery; everything inside an agent stays local.
public struct RunShare: Codable, Sendable, Equatable {
    public var agent: Int
    public var agentCount: Int
    /// The run's id in probe tokens: the same on every agent, so each counts the others' tokens.
    public var runID: UInt32
    /// This agent's clients are `clientBase ..< clientBase + clients`.
    public var clientBase: Int
    public var clients: Int
    /// All clients of the run (presence waits for everyone).
    public var totalClients: Int
    /// Per phase: this agent's publishers, the slot of its first, and the run's publishers (the
    /// timetables stagger every publisher of the run, not each agent's from zero).
    public var publishers: [Int]
    public var publisherSlotBase: [Int]
    public var totalPublishers: [Int]
    /// Common time minus this agent's local time (wrapping), from the clock exchange.
    public var shift: UInt64
    /// When the run started, in common time (seconds of the series count from it).
    public var commonRunStart: UInt64

    public init(
        agent: Int, agentCount: Int, runID: UInt32, clientBase: Int, clients: Int, totalClients: Int, publishers: [Int],
        publisherSlotBase: [Int], totalPublishers: [Int], shift: UInt64, commonRunStart: UInt64
    ) {
        self.agent = agent
        self.agentCount = agentCount
        self.runID = runID
        self.clientBase = clientBase
        self.clients = clients
        self.totalClients = totalClients
        self.publishers = publishers
        self.publisherSlotBase = publisherSlotBase
        self.totalPublishers = totalPublishers
        self.shift = shift
        self.commonRunStart = commonRunStart
    }

    /// A message number no other agent uses: agents interleave (agent k sends k, k+n, k+2n…).
    func seq(_ local: UInt64) -> UInt64 { local &* UInt64(agentCount) &+ UInt64(agent) }

    func common(_ local: UInt64) -> UInt64 { local &+ shift }
    func local(_ common: UInt64) -> UInt64 { common &- shift }

    /// Splits `total` as evenly as possible over `parts`: the first `total % parts` get one more.
    public static func split(_ total: Int, into parts: Int) -> [Int] {
        (0..<parts).map { total / parts + ($0 < total % parts ? 1 : 0) }
    }

    /// Each agent's share of a run of `clients` on `scenario`, before the clocks are known.
    public static func plan(scenario: Scenario, clients: Int, agents: Int, runID: UInt32) -> [RunShare] {
        let clientShares = split(clients, into: agents)
        let publisherShares = scenario.phases.map { split($0.publishers, into: agents) }
        return (0..<agents).map { agent in
            RunShare(
                agent: agent, agentCount: agents, runID: runID, clientBase: clientShares[..<agent].reduce(0, +),
                clients: clientShares[agent], totalClients: clients, publishers: publisherShares.map { $0[agent] },
                publisherSlotBase: publisherShares.map { $0[..<agent].reduce(0, +) },
                totalPublishers: scenario.phases.map(\.publishers), shift: 0, commonRunStart: 0)
        }
    }
}
