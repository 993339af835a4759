/// One entry of a scenario's `faults:` — what parley-load does to a lab's hosts at a given time
/// of a run (docs/LOAD.md, "Faults in the lab"). Hosts are named as in the lab's description
/// (`--lab`), so one scenario runs in any lab that has hosts of those names.
public struct ScenarioFault: Codable, Sendable, Equatable {
    public enum Action: Codable, Sendable, Equatable {
        /// Packets between two hosts dropped both ways for `lasting`, then let through again:
        /// nothing is closed, neither end hears of it (a link gone between switches).
        case cut(String, String, lasting: Duration)
        /// Every process on the host killed outright (SIGKILL): a machine that lost its power.
        case kill(String)
    }

    /// From the start of the phases.
    public var at: Duration
    public var action: Action

    public init(at: Duration, action: Action) {
        self.at = at
        self.action = action
    }

    /// The lab hosts it acts on.
    public var hosts: [String] {
        switch action {
        case .cut(let a, let b, _): [a, b]
        case .kill(let host): [host]
        }
    }

    /// When it is over (a kill is over when it is done).
    public var ends: Duration {
        switch action {
        case .cut(_, _, let lasting): at + lasting
        case .kill: at
        }
    }

    /// "cut n1 ↔ pg for 5s", "kill n2".
    public var summary: String {
        switch action {
        case .cut(let a, let b, let lasting): "cut \(a) ↔ \(b) for \(Quantities.formatMicros(lasting.seconds * 1e6))"
        case .kill(let host): "kill \(host)"
        }
    }
}
