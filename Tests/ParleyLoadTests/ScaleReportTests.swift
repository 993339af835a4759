import ParleyLoad
import Testing

/// `parley-load scale`: efficiency against one node, floors kept out of the fit and the
/// verdicts, thresholds on the curve parsed and judged.
@Suite struct ScaleReportTests {
    @Test func efficiencyIsCapacityOverNodesTimesOneNode() throws {
        var report = ScaleReport(
            points: [.init(nodes: 4, capacity: 2_800), .init(nodes: 1, capacity: 750), .init(nodes: 2, capacity: 1_450)], unit: "clients",
            cpuPerNode: 0.15)
        #expect(report.points.map(\.nodes) == [1, 2, 4])
        #expect(report.points.map(\.efficiency) == [1, 1_450.0 / 1_500, 2_800.0 / 3_000])
        let fit = try #require(report.fit)
        #expect(abs(fit.capacity(at: 4) - 2_800) < 100)
        report.judge([
            try ScaleThreshold(expression: "scale.efficiency@4 >= 0.8"), try ScaleThreshold(expression: "scale.efficiency@4 >= 0.95"),
        ])
        #expect(report.thresholds.map(\.passed) == [true, false])
        #expect(report.metrics["scale.capacity@2"] == 1_450)
        #expect(ScalePrinter.summary(report).contains("✗ FAIL  scale.efficiency@4 >= 0.95"))
    }

    @Test func aGeneratorBoundCountIsAFloorNotAFigure() throws {
        var report = ScaleReport(
            points: [
                .init(nodes: 1, capacity: 700), .init(nodes: 2, capacity: 1_400), .init(nodes: 4, capacity: 2_000, generatorBound: true),
            ],
            unit: "clients", cpuPerNode: nil)
        #expect(report.points[2].efficiency == nil)
        #expect(report.metrics["scale.capacity@4"] == nil)
        report.judge([try ScaleThreshold(expression: "scale.efficiency@4 >= 0.8")])
        let verdict = try #require(report.thresholds.first)
        #expect(!verdict.passed)
        #expect(verdict.note?.contains("generator was the bottleneck at 4 nodes") == true)
        #expect(ScalePrinter.summary(report).contains("≥ 2,000 (generator-bound)"))
        // The fit uses the measured points only: 1 and 2 nodes, perfectly linear.
        #expect(report.fit?.sigma == 0)
    }

    @Test func thresholdsNameWhatIsWrong() {
        #expect(throws: ThresholdError.self) { try ScaleThreshold(expression: "scale.speed@4 > 1") }
        #expect(throws: ThresholdError.self) { try ScaleThreshold(expression: "scale.efficiency@four >= 0.8") }
        #expect(throws: ThresholdError.self) { try ScaleThreshold(expression: "scale.efficiency@4 >= lots") }
        #expect((try? ScaleThreshold(expression: "scale.kappa < 0.01"))?.metric == "scale.kappa")
    }
}
