import Foundation
import Testing

@testable import ParleyLoad

/// Regression gating: per-metric tolerances (scenario, flags, defaults), the bootstrap interval
/// behind every verdict, baselines, and what CI systems read (JUnit, the step summary).
@Suite struct ToleranceTests {
    @Test func tolerancesParseAndLayer() throws {
        #expect(Tolerance("15%") == .share(0.15) && Tolerance("0.2") == .share(0.2) && Tolerance("ignore") == .ignore)
        #expect(Tolerance("lots") == nil && Tolerance("-5%") == nil)
        #expect(Tolerances()["fanout.p99"] == .share(0.25), "the catalogue's default")
        #expect(Tolerances()["fanout.max"] == .ignore, "one sample: too noisy to gate on")
        #expect(Tolerances()["delivery.lost"] == .share(0))
        var tolerances = try Tolerances(scenario: ["fanout.p99": .share(0.3), "connect.p99": .ignore], flags: ["fanout.p50=5%"])
        #expect(tolerances["fanout.p99"] == .share(0.3) && tolerances["connect.p99"] == .ignore && tolerances["fanout.p50"] == .share(0.05))
        try tolerances.apply(flag: "fanout.p99=ignore")
        #expect(tolerances["fanout.p99"] == .ignore, "the command line overrides the scenario")
        try tolerances.apply(flag: "12%")
        #expect(tolerances["fanout.p99"] == .share(0.12) && tolerances["connect.p99"] == .share(0.12), "one share for every metric")
        #expect(throws: ToleranceError.self) { try Tolerances(scenario: [:], flags: ["fanout.p42=5%"]) }
        #expect(throws: ToleranceError.self) { try Tolerances(scenario: [:], flags: ["fanout.p99=soon"]) }
        #expect(throws: ToleranceError.self) { try Tolerances(scenario: [:], flags: ["ignore"]) }
    }

    @Test func aScenariosCompareBlockIsReadAndItsErrorsNameFileLineAndKey() throws {
        let yaml = """
            name: gate
            clients: 2
            phases:
              - { name: a, duration: 1s, publishers: 1, rate: 5/s }
            compare:
              fanout.p99: 20%
              connect.p99: ignore
            """
        let scenario = try ScenarioParser(file: "gate.yaml").parse(yaml)
        #expect(scenario.compare == ["fanout.p99": .share(0.2), "connect.p99": .ignore])
        var without = scenario
        without.compare = nil
        #expect(Digest.of(scenario) == Digest.of(without), "tolerances judge a run; they do not change what runs")
        let badValue = yaml.replacingOccurrences(of: "connect.p99: ignore", with: "connect.p99: lenient")
        #expect {
            try ScenarioParser(file: "gate.yaml").parse(badValue)
        } throws: { error in
            "\(error)".contains("gate.yaml:7:") && "\(error)".contains("compare.connect.p99") && "\(error)".contains("lenient")
        }
        let badMetric = yaml.replacingOccurrences(of: "fanout.p99: 20%", with: "fanout.p42: 20%")
        #expect {
            try ScenarioParser(file: "gate.yaml").parse(badMetric)
        } throws: { error in
            "\(error)".contains("gate.yaml:6:") && "\(error)".contains("compare.fanout.p42") && "\(error)".contains("unknown metric")
        }
    }
}

@Suite struct BootstrapVerdictTests {
    /// Runs whose fan-out histogram is 2,000 deliveries spread evenly around `p99`'s scale.
    func run(p99: Double) -> LoadReport {
        var latency = LatencyHistogram()
        for index in 0..<2_000 { latency.record(micros: UInt64(p99 * Double(index + 1) / 1_980)) }
        var report = Fixtures.report(p99: p99, digest: "same")
        report.runs[0].overall.fanout = HistogramReport(latency)
        report.runs[0].metrics = Metrics.values(of: report.runs[0])
        return report
    }

    @Test func separatedRunsGiveAnIntervalThatExcludesZero() throws {
        let comparison = Comparison(
            bases: [10_000, 10_500, 9_800].map(run), news: [13_000, 13_400, 12_900].map(run),
            tolerances: Tolerances(), metrics: ["fanout.p99"])
        let row = try #require(comparison.rows.first)
        let interval = try #require(row.interval)
        #expect(interval.lowerBound > 0.15 && interval.upperBound < 0.45, "\(interval)")
        #expect(row.verdict == .worse, "+30 % past a 25 % tolerance, interval clear of zero")
        #expect(row.figures.contains("tolerance 25%") && row.figures.contains("95% interval"), "\(row.figures)")
        let again = Comparison(
            bases: [10_000, 10_500, 9_800].map(run), news: [13_000, 13_400, 12_900].map(run),
            tolerances: Tolerances(), metrics: ["fanout.p99"])
        #expect(again.rows.first?.interval == row.interval, "seeded: the same reports, the same interval")
    }

    @Test func interleavedRunsAreNoiseEvenPastTheTolerance() throws {
        // Medians 10 → 13.4 ms (+34 %), but one new run is faster than two base runs.
        let comparison = Comparison(
            bases: [8_000, 10_000, 14_000].map(run), news: [9_000, 13_400, 16_000].map(run),
            tolerances: Tolerances(), metrics: ["fanout.p99"])
        let row = try #require(comparison.rows.first)
        #expect(row.verdict == .noise, "\(row.figures)")
        #expect(try #require(row.interval).contains(0))
        #expect(!comparison.failed)
    }

    @Test func ignoredMetricsNeverFailAndZeroCountsStillDo() throws {
        var tolerances = Tolerances()
        tolerances.set(.ignore, for: "fanout.p99")
        let comparison = Comparison(bases: [run(p99: 10_000)], news: [run(p99: 90_000)], tolerances: tolerances, metrics: ["fanout.p99"])
        #expect(comparison.rows.first?.verdict == .ignored && !comparison.failed)
        var lossy = run(p99: 10_000)
        lossy.runs[0].metrics["delivery.lost"] = 3
        let lost = Comparison(bases: [run(p99: 10_000)], news: [lossy], tolerances: Tolerances(), metrics: ["delivery.lost"])
        #expect(lost.rows.first?.verdict == .worse, "none lost before, three now")
    }
}

@Suite struct BaselineAndOutputTests {
    @Test func aBaselineRoundTripsAndRefusesAnotherScenarioOrMachine() throws {
        var report = Fixtures.report(p99: 10_000, digest: "cafe")
        report.environment.cpuModel = "Test CPU"
        report.environment.memoryGiB = 24
        let baseline = Baseline(reports: [report, report])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("baseline-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try baseline.write(to: path)
        let read = try RunFiles.load(path: path)
        #expect(read.count == 2 && read[0].scenarioDigest == "cafe")
        let loaded = try RunFiles.baseline(path: path)
        #expect(loaded.machine == Machine(report.environment) && loaded.scenarioName == "f")
        #expect(loaded.mismatches(with: [report]).isEmpty)
        var other = report
        other.scenarioDigest = "beef"
        other.environment.cores = 64
        let reasons = loaded.mismatches(with: [other])
        #expect(reasons.count == 2, "\(reasons)")
        #expect(reasons.contains { $0.contains("digest beef") } && reasons.contains { $0.contains("64 × Test CPU") })
        var renamed = report
        renamed.environment.hostname = "runner-8f3a"
        #expect(loaded.mismatches(with: [renamed]).isEmpty, "a CI runner's hostname changes every job")
    }

    @Test func junitHasACasePerVerdictWithTheFiguresInTheMessage() throws {
        var report = Fixtures.report(p99: 61_000, digest: "same")
        let threshold = try Threshold(expression: "fanout.p99 < 50ms")
        report.runs[0].thresholds = [
            threshold.verdict(in: report.runs[0].metrics),
            try Threshold(expression: "delivery.ratio >= 1").verdict(in: report.runs[0].metrics),
        ]
        let comparison = Comparison(
            bases: [Fixtures.report(p99: 10_000, digest: "same")], news: [report], tolerances: Tolerances(),
            metrics: ["fanout.p99", "fanout.max", "presence.p99"])
        let xml = JUnitReport.xml(JUnitReport.cases(thresholdsOf: [report]) + JUnitReport.cases(comparing: comparison, scenario: "f"))
        #expect(xml.contains(#"<testsuites name="parley-load" tests="5" failures="2" errors="0">"#), "\(xml)")
        #expect(xml.contains(#"name="fanout.p99 &lt; 50ms (3 clients)""#))
        #expect(xml.contains(#"<failure message="measured 61ms, limit &lt; 50ms" type="threshold">"#), "\(xml)")
        #expect(xml.contains(#"<failure message="WORSE: +510%"#) && xml.contains("tolerance 25%: base 10ms, new 61ms"), "\(xml)")
        #expect(xml.contains(#"<skipped message="ignored (tolerance: ignore)"#))
        #expect(xml.contains(#"<skipped message="not measured on both sides"#))
        // A control character (from a scenario name or a message) would make the whole file unreadable.
        #expect(ParleyLoad.xml("tab\tand\u{1}bell<b>") == "tab\tandbell&lt;b&gt;")
    }

    @Test func theStepSummaryIsAppendedWhereGitHubSaysAndNowhereElse() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("summary-\(UUID().uuidString).md").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("earlier step\n".utf8).write(to: URL(fileURLWithPath: path))
        var report = Fixtures.report(p99: 61_000, digest: "same")
        report.runs[0].thresholds = [try Threshold(expression: "fanout.p99 < 50ms").verdict(in: report.runs[0].metrics)]
        let markdown = StepSummary.markdown(reports: [report], comparison: nil)
        #expect(try StepSummary.append(markdown, environment: ["GITHUB_STEP_SUMMARY": path]))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("earlier step\n### parley-load: f"), "appended, not overwritten")
        #expect(text.contains("| fanout.p99 < 50ms (3 clients) | **✗ FAIL** | measured 61ms, limit < 50ms |"), "\(text)")
        #expect(try !StepSummary.append(markdown, environment: [:]))
    }

    @Test func theNoiseFloorSuggestsATolerancePastTheAAChanges() throws {
        #expect(NoiseFloor.splits(of: 6, size: 3).count == 20)
        let reports = [10_000.0, 11_000, 9_500, 10_400, 12_000, 9_900].map { Fixtures.report(p99: $0, digest: "same") }
        let floor = NoiseFloor(reports: reports, metrics: ["fanout.p99"])
        let row = try #require(floor.rows.first)
        let change = try #require(row.change95)
        #expect(change > 0.03 && change < 0.25, "\(change)")
        guard case .share(let suggested) = row.suggested else {
            Issue.record("no share suggested")
            return
        }
        #expect(suggested >= change * 1.25 && suggested <= change * 1.25 + 0.05)
        #expect(floor.yaml().contains("compare:\n  fanout.p99: "))
    }
}
