/// A coordinator's failure because of one agent: names it, says what happened, exits 4.
public struct AgentFailure: Error, CustomStringConvertible {
    public let agent: String
    public let what: String
    init(agent: String, _ what: String) {
        self.agent = agent
        self.what = what
    }
    public var description: String { "agent \(agent): \(what)" }
}
