/// Fan-out kept apart by where the receiver was in a cluster: on its publisher's node or on
/// another (every node hears a public message from the bus; another node also pays for its
/// NOTIFY reaching it and for its own fan-out), and per node.
struct NodeFanout: Sendable, Codable {
    var sameNode = LatencyHistogram()
    var otherNodes = LatencyHistogram()
    var perNode: [LatencyHistogram] = []

    mutating func record(micros: UInt64, node: Int, sameNode isSame: Bool) {
        if isSame { sameNode.record(micros: micros) } else { otherNodes.record(micros: micros) }
        perNode[node].record(micros: micros)
    }

    mutating func add(_ other: NodeFanout) {
        sameNode.add(other.sameNode)
        otherNodes.add(other.otherNodes)
        if perNode.count < other.perNode.count {
            perNode += Array(repeating: LatencyHistogram(), count: other.perNode.count - perNode.count)
        }
        for (index, histogram) in other.perNode.enumerated() { perNode[index].add(histogram) }
    }
}

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
