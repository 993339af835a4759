import Foundation

public struct ConnectReport: Codable, Sendable {
    public var attempted: Int
    public var connected: Int
    public var ready: Int
    /// Error kind → count (timeouts, refusals, HTTP statuses, closes by the server).
    public var errors: [String: Int]
    public var latency: HistogramReport
    /// `refresh` frames sent with new tokens (a scenario's `auth:` with a lifetime shorter than
    /// the run); nil for runs without `auth:`.
    public var tokenRefreshes: Int? = nil
}
