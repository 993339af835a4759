/// In a run against several targets: fan-out to receivers on the publisher's node and on other
/// nodes (what reaching another node adds), and per node (target) — an uneven node shows.
public struct NodeFanoutReport: Codable, Sendable {
    public var sameNode: HistogramReport
    public var otherNodes: HistogramReport
    public struct Node: Codable, Sendable {
        public var target: String
        public var fanout: HistogramReport
    }
    public var perNode: [Node]
}
