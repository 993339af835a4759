import Foundation

public struct SecondSample: Codable, Sendable {
    public var second: Int
    public var deliveries: Int
    public var messages: Int
    public var connected: Int
    public var p50Micros: Double?
    public var p99Micros: Double?
}
