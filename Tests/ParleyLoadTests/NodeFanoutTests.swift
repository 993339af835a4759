import Testing

@testable import ParleyLoad

/// Fan-out by node records each delivery once and answers the totals by kind and by node as
/// sums of its cells, also after loops' figures are added together.
@Suite struct NodeFanoutTests {
    @Test func totalsByKindAndByNodeAreSumsOfTheCells() {
        var first = NodeFanout(nodes: 3)
        first.record(micros: 100, node: 0, sameNode: true)
        first.record(micros: 200, node: 0, sameNode: false)
        first.record(micros: 300, node: 2, sameNode: false)
        var second = NodeFanout(nodes: 3)
        second.record(micros: 400, node: 1, sameNode: true)
        second.record(micros: 500, node: 2, sameNode: false)
        var all = NodeFanout()
        all.add(first)
        all.add(second)
        #expect(all.nodeCount == 3)
        #expect(all.sameNode.count == 2)
        #expect(all.otherNodes.count == 3)
        #expect((0..<3).map { all.node($0).count } == [2, 1, 2])
        #expect(all.sameNode.histogram.max == all.sameNode.histogram.valueAtPercentile(100))
        #expect(all.otherNodes.histogram.valueAtPercentile(100) >= 500)
        #expect(all.sameNode.histogram.valueAtPercentile(100) < 500)
    }
}
