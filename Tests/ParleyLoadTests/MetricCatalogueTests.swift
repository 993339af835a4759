import Foundation
import Testing

@testable import ParleyLoad

/// The one catalogue of metrics, and threshold verdicts that keep their parts.
@Suite struct MetricCatalogueTests {
    @Test func everyMetricIsNamedOnceWithAUnitAndAMeaning() {
        #expect(Set(Metrics.names).count == Metrics.names.count)
        // Six latency families × six statistics, and the figures read whole (resume.* among them).
        #expect(Metrics.names.count == 6 * 6 + 18)
        #expect(Metrics.unit(of: "resume.latency.p99") == .micros && Metrics.unit(of: "resume.gaps") == .count)
        for metric in Metrics.catalogue { #expect(!metric.description.isEmpty, "\(metric.name) says what it means") }
        #expect(Metrics.unit(of: "send.lag.p999") == .micros)
        #expect(Metrics.unit(of: "process.rss") == .bytes)
        #expect(Metrics.unit(of: "nonsense") == nil)
        #expect(Metrics.higherIsBetter("delivery.ratio") && Metrics.higherIsBetter("throughput.deliveries"))
        #expect(
            !Metrics.higherIsBetter("fanout.p99") && !Metrics.higherIsBetter("delivery.lost") && !Metrics.higherIsBetter("delivery.refused")
        )
        #expect(Metrics.format(2_097_152, metric: "received.bytes") == "2 MiB")
        #expect(Metrics.format(1500, metric: "fanout.p50") == "1.5ms")
    }

    @Test func aVerdictKeepsItsMetricComparisonAndLimit() throws {
        let threshold = try Threshold(expression: "fanout.p99 < 50ms")
        let verdict = threshold.verdict(in: ["fanout.p99": 61_000])
        #expect(verdict.metric == "fanout.p99" && verdict.comparison == .less && verdict.limit == 50_000)
        #expect(!verdict.passed && verdict.measured == "61ms")
        let decoded = try JSONDecoder().decode(ThresholdVerdict.self, from: JSONEncoder().encode(verdict))
        #expect(decoded == verdict)
        #expect(threshold.verdict(in: [:]).measured == "not measured")
    }

    @Test func verdictsFromOlderReportsStillRead() throws {
        let old = #"{"threshold":"connect.errors == 0","value":2,"passed":false}"#
        let verdict = try JSONDecoder().decode(ThresholdVerdict.self, from: Data(old.utf8))
        #expect(verdict.metric == "connect.errors" && verdict.limit == nil && verdict.measured == "2")
    }
}
