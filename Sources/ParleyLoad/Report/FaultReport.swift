/// One fault of the scenario's `faults:` as it happened: when it was due and when it was done
/// and undone, in seconds from the start of the phases (the times the run's series use).
public struct FaultReport: Codable, Sendable, Equatable {
    /// "cut n1 ↔ pg for 5s", "kill n2".
    public var fault: String
    public var at: Double
    public var appliedAt: Double?
    /// A cut let through again: on time, or when the run ended early.
    public var healedAt: Double?
    /// A kill: the processes it killed.
    public var killed: Int?
    /// What went wrong doing or undoing it.
    public var error: String?
}
