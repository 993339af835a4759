/// Fan-out kept apart by where the receiver was in a cluster: on its publisher's node or on
/// another (every node hears a public message from the bus; another node also pays for its
/// NOTIFY reaching it and for its own fan-out), and per node.
///
/// On the receive path each delivery is recorded once, in its (node, same-or-other) cell; the
/// totals by kind and by node are sums of cells, added when the run is analysed.
struct NodeFanout: Sendable, Codable {
    /// Cell `2 × node` for receivers on the publisher's node, `2 × node + 1` for the others.
    private(set) var cells: [LatencyHistogram] = []

    init(nodes: Int = 0) { cells = Array(repeating: LatencyHistogram(), count: 2 * nodes) }

    var nodeCount: Int { cells.count / 2 }

    mutating func record(micros: UInt64, node: Int, sameNode: Bool) {
        cells[2 * node + (sameNode ? 0 : 1)].record(micros: micros)
    }

    mutating func add(_ other: NodeFanout) {
        if cells.count < other.cells.count {
            cells += Array(repeating: LatencyHistogram(), count: other.cells.count - cells.count)
        }
        for (index, histogram) in other.cells.enumerated() { cells[index].add(histogram) }
    }

    var sameNode: LatencyHistogram { sum(stride(from: 0, to: cells.count, by: 2)) }
    var otherNodes: LatencyHistogram { sum(stride(from: 1, to: cells.count, by: 2)) }
    func node(_ index: Int) -> LatencyHistogram { sum([2 * index, 2 * index + 1]) }

    private func sum<Indices: Sequence<Int>>(_ indices: Indices) -> LatencyHistogram {
        indices.reduce(into: LatencyHistogram()) { $0.add(cells[$1]) }
    }
}
