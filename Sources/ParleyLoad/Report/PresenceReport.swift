import Foundation

public struct PresenceReport: Codable, Sendable {
    /// Clients that saw a complete member list, of how many.
    public var complete: Int
    public var of: Int
    /// Time from the start of the run (the first client's connect) to each client's complete list.
    public var completion: HistogramReport
}
