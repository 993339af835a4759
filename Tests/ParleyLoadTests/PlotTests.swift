import Foundation
import Testing

@testable import ParleyLoad

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite struct TicksAndScalesTests {
    @Test func niceTicksAreOneTwoOrFiveTimesAPowerOfTen() {
        #expect(Ticks.nice(from: 0, to: 100) == [0, 20, 40, 60, 80, 100])
        #expect(Ticks.nice(from: 0, to: 0.87) == [0, 0.2, 0.4, 0.6, 0.8])
        #expect(Ticks.nice(from: 3, to: 17) == [5, 10, 15])
        #expect(Ticks.nice(from: 0, to: 7_300) == [0, 2_000, 4_000, 6_000])
        #expect(Ticks.niceStep(0.03) == 0.05 && Ticks.niceStep(1) == 1 && Ticks.niceStep(11) == 20)
        #expect(Ticks.nice(from: 5, to: 5) == [5], "an empty range still has its value")
    }

    @Test func percentileAxisSpacesTheNinesEvenly() {
        #expect(PercentileAxis.position(0) == 0)
        #expect(abs(PercentileAxis.position(0.9) - 1) < 1e-9)
        #expect(abs(PercentileAxis.position(0.99) - 2) < 1e-9)
        #expect(abs(PercentileAxis.position(0.999) - 3) < 1e-9)
        #expect(PercentileAxis.label(0.5) == "50%" && PercentileAxis.label(0.999) == "99.9%" && PercentileAxis.label(0.9999) == "99.99%")
    }

    @Test func durationAxesPickOneUnitAndNiceTicksInIt() {
        #expect(DurationAxis(maximumMicros: 800).unit == "µs")
        let ms = DurationAxis(maximumMicros: 25_000)
        #expect(ms.unit == "ms")
        #expect(ms.ticks(upToMicros: 25_000) == [0, 5_000, 10_000, 15_000, 20_000, 25_000])
        #expect(ms.label(12_500) == "12.5 ms")
        #expect(DurationAxis(maximumMicros: 2_500_000).label(2_000_000) == "2 s")
    }

    @Test func linearScalesMapEndsAndMayRunBackwards() {
        let y = LinearScale(domain: (0, 10), range: (200, 0))
        #expect(y(0) == 200 && y(10) == 0 && y(5) == 100)
    }
}

@Suite struct HTMLReportTests {
    @Test func percentilePointsAreTheHistogramsOwnValues() throws {
        var latency = LatencyHistogram()
        for value in 1...1_000 { latency.record(micros: UInt64(value * 10)) }
        let recorded = HistogramReport(latency)
        let histogram = recorded.rebuild()
        let points = HTMLReport.percentilePoints(recorded)
        #expect(points.count > 20)
        for point in points.dropLast() {
            #expect(point.micros == Double(histogram.valueAtPercentile(point.percentile * 100)))
        }
        #expect(points.last?.micros == Double(histogram.max))
        #expect(points.map(\.percentile) == points.map(\.percentile).sorted(), "left to right")
        #expect(zip(points, points.dropFirst()).allSatisfy { $0.micros <= $1.micros }, "never decreasing")
    }

    @Test func aComparisonPageIsWellFormedAndSaysWhatFailed() throws {
        var base = Fixtures.report(p99: 10_000, digest: "aaaa")
        base.scenario.description = "<script>alert(1)</script> & more"
        base.runs[0].thresholds = [ThresholdVerdict(try Threshold(expression: "fanout.p99 < 20ms"), value: 10_000, passed: true)]
        var new = Fixtures.report(p99: 30_000, digest: "aaaa")
        new.runs[0].thresholds = [ThresholdVerdict(try Threshold(expression: "fanout.p99 < 20ms"), value: 30_000, passed: false)]
        let comparison = Comparison(base: base, new: new, tolerance: 0.1, metrics: ["fanout.p99"])
        let page = HTMLReport.render([.init(label: "base", report: base), .init(label: "new", report: new)], comparison: comparison)

        // Well-formed: the page parses as XML once its doctype line is set aside.
        let body = page.replacingOccurrences(of: "<!DOCTYPE html>\n", with: "")
        let parser = XMLParser(data: Data(body.utf8))
        let counter = ElementCounter()
        parser.delegate = counter
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(counter.counts["svg"] == 1, "one percentile chart (the fixtures have no per-second series)")
        #expect(counter.counts["polyline"] == 2, "one line per report")
        #expect(counter.counts["script"] == nil, "no script, and user text is escaped")
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"))
        #expect(page.contains("PASS — 1 of 1 thresholds held") && page.contains("FAIL — 0 of 1 thresholds held"))
        #expect(page.contains("<td>WORSE</td>"))
        let withoutNamespace = page.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "")
        #expect(!withoutNamespace.contains("http://") && !withoutNamespace.contains("https://"), "nothing from the network")
    }

    @Test func aSweepGetsItsScalingCurveWithTheFirstFailureMarked() throws {
        var report = Fixtures.report(p99: 10_000, digest: "s")
        var second = report.runs[0]
        second.clients = 1_000
        second.thresholds = [ThresholdVerdict(try Threshold(expression: "fanout.p99 < 5ms"), value: 10_000, passed: false)]
        report.runs.append(second)
        let page = HTMLReport.render([.init(label: "sweep", report: report)])
        #expect(page.contains("fan-out latency against clients"))
        #expect(page.contains("first threshold failure"))
        #expect(page.contains(">1000<") && page.contains(">3<"), "the client counts label the log axis")
        #expect(page.contains("[1000 clients] fanout.p99 &lt; 5ms"), "a sweep's verdicts say which step")
        #expect(page.contains("<title>3 clients</title>") && page.contains("<title>1000 clients</title>"), "a percentile line per step")
    }
}

/// Counts elements by name.
final class ElementCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        counts[name, default: 0] += 1
    }
}
