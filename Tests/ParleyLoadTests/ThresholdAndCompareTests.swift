import Foundation
import Testing

@testable import ParleyLoad

@Suite struct QuantitiesTests {
    @Test func durationsAndRates() {
        #expect(Quantities.duration("30s") == .seconds(30))
        #expect(Quantities.duration("2m") == .seconds(120))
        #expect(Quantities.duration("500ms") == .milliseconds(500))
        #expect(Quantities.duration("1.5s") == .milliseconds(1500))
        #expect(Quantities.duration("250us") == .microseconds(250))
        #expect(Quantities.duration("30") == nil)
        #expect(Quantities.duration("-1s") == nil)
        #expect(Quantities.rate("50/s") == 50)
        #expect(Quantities.rate("120/m") == 2)
        #expect(Quantities.rate("50") == nil)
        #expect(Quantities.rate("-5/s") == nil)
        #expect(Quantities.formatMicros(850) == "850µs")
        #expect(Quantities.formatMicros(12_345) == "12.35ms")
        #expect(Quantities.formatMicros(1_250_000) == "1.25s")
    }
}

@Suite struct ThresholdTests {
    @Test func parsesLatencyAndNumberConditions() throws {
        let latency = try Threshold(metric: "fanout.p99", condition: "< 50ms")
        #expect(latency.comparison == .less)
        #expect(latency.limit == 50_000)
        let ratio = try Threshold(metric: "delivery.ratio", condition: ">= 1")
        #expect(ratio.comparison == .greaterOrEqual)
        #expect(ratio.limit == 1)
        let errors = try Threshold(expression: "connect.errors==0")
        #expect(errors.metric == "connect.errors")
        #expect(errors.comparison == .equal)
    }

    @Test func verdicts() throws {
        let p99 = try Threshold(metric: "fanout.p99", condition: "< 50ms")
        #expect(p99.verdict(in: ["fanout.p99": 49_000]).passed)
        #expect(!p99.verdict(in: ["fanout.p99": 50_000]).passed)
        #expect(!p99.verdict(in: [:]).passed, "an unmeasured metric fails its threshold")
        #expect(p99.verdict(in: [:]).value == nil)
        let ratio = try Threshold(metric: "delivery.ratio", condition: ">= 1")
        #expect(!ratio.verdict(in: ["delivery.ratio": 0.99]).passed)
    }

    @Test func rejectsNonsense() {
        #expect(throws: ThresholdError.self) { try Threshold(metric: "fanout.p42", condition: "< 1ms") }
        #expect(throws: ThresholdError.self) { try Threshold(metric: "fanout.p99", condition: "about 1ms") }
        #expect(throws: ThresholdError.self) { try Threshold(metric: "fanout.p99", condition: "< 5") }
        #expect(throws: ThresholdError.self) { try Threshold(metric: "delivery.ratio", condition: ">= lots") }
        #expect(throws: ThresholdError.self) { try Threshold(expression: "fanout.p99") }
    }
}

@Suite struct CompareTests {
    @Test func latencyVerdicts() {
        #expect(Comparison.row("fanout.p99", 10_000, 10_500, 0.1).verdict == .same)
        #expect(Comparison.row("fanout.p99", 10_000, 11_500, 0.1).verdict == .worse)
        #expect(Comparison.row("fanout.p99", 10_000, 8_000, 0.1).verdict == .better)
        #expect(Comparison.row("fanout.p99", 10_000, 11_500, 0.1).change == 0.15)
    }

    @Test func higherIsBetterForRatioAndThroughput() {
        #expect(Comparison.row("delivery.ratio", 1, 0.95, 0.01).verdict == .worse)
        #expect(Comparison.row("throughput.deliveries", 1000, 1200, 0.1).verdict == .better)
        #expect(Comparison.row("throughput.deliveries", 1000, 950, 0.1).verdict == .same)
    }

    @Test func countsFromZeroAreWorse() {
        #expect(Comparison.row("delivery.lost", 0, 1, 0.1).verdict == .worse)
        #expect(Comparison.row("delivery.lost", 0, 0, 0.1).verdict == .same)
        #expect(Comparison.row("fanout.p99", nil, 1, 0.1).verdict == .missing)
    }

    @Test func mismatchedScenariosAreSaidPlainly() throws {
        var base = Fixtures.report(p99: 10_000, digest: "aaaa")
        let new = Fixtures.report(p99: 30_000, digest: "bbbb")
        let comparison = Comparison(base: base, new: new, tolerance: 0.1, metrics: ["fanout.p99"])
        #expect(!comparison.sameScenario)
        #expect(comparison.failed)
        #expect(comparison.table().contains("different scenarios"))
        #expect(comparison.table().contains("WORSE"))
        base.scenarioDigest = "bbbb"
        #expect(Comparison(base: base, new: new, tolerance: 0.1).sameScenario)
    }

    @Test func markdownTableForAPullRequest() {
        let comparison = Comparison(
            base: Fixtures.report(p99: 10_000, digest: "aaaa"), new: Fixtures.report(p99: 30_000, digest: "aaaa"),
            tolerance: 0.1, metrics: ["fanout.p99", "delivery.ratio"])
        let lines = comparison.markdown().split(separator: "\n").map(String.init)
        #expect(lines[0] == "| metric | base | new | change | tolerance | verdict |")
        #expect(lines[1].hasPrefix("|---"))
        #expect(lines[2].hasPrefix("| fanout.p99 | 10ms | 30ms | +200% | 10% | **WORSE** |"), "\(lines[2])")
        #expect(lines[3].hasSuffix("| within tolerance |"))
        #expect(lines.count == 4)
        // Colour only when asked (on a terminal), and never inside the alignment.
        #expect(!comparison.table().contains("\u{1B}["))
        let coloured = comparison.table(colour: true)
        #expect(coloured.contains("\u{1B}[31m") && coloured.contains("WORSE\u{1B}[0m"))
        #expect(
            coloured.replacingOccurrences(of: "\u{1B}[31m", with: "").replacingOccurrences(of: "\u{1B}[0m", with: "") == comparison.table())
    }

    @Test func hgrmFilesCarryTheRecordedDistributionInMilliseconds() throws {
        let report = Fixtures.report(p99: 12_000, digest: "cafe")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hgrm-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = try PercentileFiles.write(report, to: directory)
        #expect(files.map { ($0 as NSString).lastPathComponent } == ["f-steady.hgrm", "f-overall.hgrm"])
        let text = try String(contentsOfFile: files[0], encoding: .utf8)
        // HdrHistogram's layout: a header, value/percentile/count rows, and the summary lines.
        #expect(text.contains("Value     Percentile TotalCount 1/(1-Percentile)"))
        // 12 ms at three significant digits: HdrHistogram prints the bucket's top, 12.007.
        #expect(text.contains("#[Max     =       12.0"), "\(text)")
        #expect(text.contains("Total count    =            3]"))
        let rows = text.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.split(separator: " ").count >= 3 }
            .compactMap { line -> (Double, Double)? in
                let fields = line.split(separator: " ")
                guard let value = Double(fields[0]), let percentile = Double(fields[1]) else { return nil }
                return (value, percentile)
            }
        #expect(rows.first?.0 == 1.0 && rows.first?.1 == 0)
        #expect(abs((rows.last?.0 ?? 0) - 12.0) < 0.02 && rows.last?.1 == 1.0)
        #expect(rows.contains { $0.0 == 2.0 && $0.1 == 0.5 }, "the median is 2 ms")
    }

    @Test func reportRoundTripsThroughJSON() throws {
        let report = Fixtures.report(p99: 12_000, digest: "cafe")
        let decoded = try LoadReport.decode(try report.encoded(), file: "r.json")
        #expect(decoded.runs.first?.metrics["fanout.p99"] == 12_000)
        #expect(decoded.scenarioDigest == "cafe")
        #expect(decoded.runs[0].overall.fanout.rebuild().totalCount == report.runs[0].overall.fanout.count)
    }
}

enum Fixtures {
    static func report(p99: Double, digest: String) -> LoadReport {
        var latency = LatencyHistogram()
        for value in [1000, 2000, UInt64(p99)] { latency.record(micros: value) }
        let histogram = HistogramReport(latency)
        let phase = PhaseReport(
            name: "steady", seconds: 1, publishers: 1, ratePerPublisher: 1, rampTo: nil, messagesSent: 3, expected: 3,
            received: 3, lost: 0, duplicates: 0, unexpected: 0, ratio: 1, fanout: histogram, completion: histogram,
            sendLag: histogram, deliveriesPerSecond: 3, messagesPerSecond: 3,
            process: ProcessReport(cpuSeconds: 0, cpuPerSecond: 0, rssBytes: 0))
        var run = RunReport(
            clients: 3, connect: ConnectReport(attempted: 3, connected: 3, ready: 3, errors: [:], latency: histogram),
            phases: [phase], overall: phase, series: [], framesReceived: 3, bytesReceived: 300, presence: nil,
            metrics: [:], thresholds: [])
        run.metrics = Metrics.values(of: run)
        run.metrics["fanout.p99"] = p99
        return LoadReport(
            scenario: Scenario(name: "f", clients: 3, phases: []), scenarioSource: "", scenarioDigest: digest,
            environment: Environment(cores: 2, os: "Linux", swift: "6", commit: nil, targets: [], hostname: "h", eventLoops: 2),
            startedAt: Date(timeIntervalSince1970: 0), runs: [run], thresholds: [])
    }
}

/// Several runs per side: medians, spreads, and "worse" only outside the spread.
@Suite struct MultiRunCompareTests {
    func reports(_ p99s: [Double]) -> [LoadReport] { p99s.map { Fixtures.report(p99: $0, digest: "same") } }

    @Test func aChangeInsideTheRunsSpreadIsNotCalledWorse() throws {
        // Same code measured twice each: the medians differ by 20 %, but the runs overlap.
        let comparison = Comparison(
            bases: reports([30_000, 50_000]), news: reports([35_000, 61_000]), tolerance: 0.1, metrics: ["fanout.p99"])
        let row = try #require(comparison.rows.first)
        #expect(row.base == 40_000 && row.new == 48_000)
        #expect(row.verdict == .noise)
        #expect(!comparison.failed)
        #expect(comparison.table().contains("within the runs' spread"))
        #expect(comparison.table().contains("30ms…50ms"), "\(comparison.table())")
    }

    @Test func aChangeOutsideTheSpreadIsWorseAndOneRunPerSideIsAsBefore() throws {
        let worse = Comparison(
            bases: reports([30_000, 32_000, 31_000]), news: reports([40_000, 41_000, 39_000]), tolerance: 0.1, metrics: ["fanout.p99"])
        #expect(worse.rows.first?.verdict == .worse && worse.rows.first?.base == 31_000 && worse.rows.first?.new == 40_000)
        #expect(worse.failed)
        #expect(worse.markdown().contains("| base (median) | base runs |"))
        let single = Comparison(bases: reports([30_000]), news: reports([40_000]), tolerance: 0.1, metrics: ["fanout.p99"])
        #expect(single.rows.first?.verdict == .worse && !single.isMultiRun && single.header.count == 6)
        let overlappingGain = Comparison(
            bases: reports([30_000, 50_000]), news: reports([25_000, 43_000]), tolerance: 0.1, metrics: ["fanout.p99"])
        #expect(overlappingGain.rows.first?.verdict == .noise, "a gain inside the spread is not called better either")
    }
}
