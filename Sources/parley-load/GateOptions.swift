import ArgumentParser
import Foundation
import ParleyLoad

/// How `run --baseline` and `compare` judge and publish: per-metric tolerances, the refusal to
/// compare another scenario or machine, and the outputs CI systems read (docs/LOAD.md, "Gating
/// performance in CI").
struct GateOptions: ParsableArguments {
    @Option(
        help:
            "How much worse a metric may get: 10% for every metric, or METRIC=15% / METRIC=ignore for one; repeatable. Default: the scenario's compare: block, then each metric's own."
    )
    var tolerance: [String] = []
    @Option(help: "A metric to compare; repeatable (default: the headline metrics).") var metric: [String] = []
    @Flag(help: "Compare even when the runs come from another scenario or machine.") var force = false
    @Option(help: "Write the verdicts as JUnit XML (each threshold and compared metric a test case).") var junit: String?
    @Flag(help: "Append the verdicts as Markdown to the file $GITHUB_STEP_SUMMARY names (GitHub Actions).")
    var githubSummary = false

    func tolerances(scenario: [String: Tolerance]) throws -> Tolerances {
        do throws(ToleranceError) {
            return try Tolerances(scenario: scenario, flags: tolerance)
        } catch {
            throw BadInput(description: error.message)
        }
    }

    func metrics() throws -> [String] {
        for name in metric where Metrics.unit(of: name) == nil {
            throw BadInput(description: "--metric: unknown metric \"\(name)\" (known: \(Metrics.names.joined(separator: ", ")))")
        }
        return metric.isEmpty ? Comparison.defaultMetrics : metric
    }

    /// Refuses (exit 2) when `reasons` is not empty, unless `--force`; then it only warns.
    func check(_ reasons: [String]) throws {
        guard !reasons.isEmpty else { return }
        let text = reasons.joined(separator: "; ")
        guard force else { throw BadInput(description: "refusing to compare: \(text) (--force to compare anyway)") }
        FileHandle.standardError.write(Data("parley-load: warning: comparing anyway (--force): \(text)\n".utf8))
    }

    /// Writes the JUnit file and the step summary when asked.
    func publish(reports: [LoadReport], comparison: Comparison?) throws {
        if let junit {
            var cases = JUnitReport.cases(thresholdsOf: reports)
            if let comparison { cases += JUnitReport.cases(comparing: comparison, scenario: reports.first?.scenario.name ?? "") }
            let url = URL(fileURLWithPath: junit)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(JUnitReport.xml(cases).utf8).write(to: url)
            print("junit: \(junit)")
        }
        if githubSummary {
            let markdown = StepSummary.markdown(reports: reports, comparison: comparison)
            if try !StepSummary.append(markdown) {
                FileHandle.standardError.write(
                    Data("parley-load: --github-summary: GITHUB_STEP_SUMMARY is not set; nothing written\n".utf8))
            }
        }
    }

    /// 0, or 99 for a failed threshold or a regression — 3 instead when a run that failed was
    /// generator-bound (its figures describe parley-load, not the server).
    static func exitCode(reports: [LoadReport], comparison: Comparison?, allowGeneratorBound: Bool) -> Int32 {
        if reports.contains(where: { $0.runs.contains { $0.faults?.contains { $0.error != nil } == true } }) {
            return LoadExit.faultFailed
        }
        let failed = reports.contains { !$0.passed } || comparison?.failed == true
        guard failed else { return 0 }
        let invalid = reports.contains { $0.validity == .generatorBound }
        return invalid && !allowGeneratorBound ? LoadExit.invalidRun : LoadExit.thresholdFailed
    }
}
