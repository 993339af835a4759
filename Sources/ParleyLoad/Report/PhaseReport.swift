import Foundation

public struct PhaseReport: Codable, Sendable {
    public var name: String
    public var seconds: Double
    public var publishers: Int
    public var ratePerPublisher: Double
    public var rampTo: Double?
    public var messagesSent: Int
    public var expected: Int
    public var received: Int
    public var lost: Int
    /// Public messages the server refused (`unavailable`: "not sent; nobody received it") and
    /// nobody received: not due to anyone, so not lost. Nil in reports from before it was counted.
    public var refused: Int?
    public var duplicates: Int
    /// Deliveries to clients that were not members when the message was due (not counted).
    public var unexpected: Int
    public var ratio: Double?
    public var fanout: HistogramReport
    public var completion: HistogramReport
    public var sendLag: HistogramReport
    public var deliveriesPerSecond: Double
    public var messagesPerSecond: Double
    public var process: ProcessReport
}
