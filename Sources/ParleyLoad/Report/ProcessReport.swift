import Foundation

public struct ProcessReport: Codable, Sendable {
    /// CPU seconds the load process used (user + system).
    public var cpuSeconds: Double
    /// CPU seconds per wall second: 1.0 is one core busy.
    public var cpuPerSecond: Double
    public var rssBytes: Int
}
