import Foundation

/// The verdicts as JUnit XML (`--junit FILE`), the format GitLab, Jenkins and most CI systems
/// show as test results: one test case per threshold of each run and per compared metric, the
/// measured value and the limit (or change, interval and tolerance) in the failure's message.
/// An ignored or unmeasured comparison is a skipped case, so it shows without failing.
public enum JUnitReport {
    public struct Case: Sendable, Equatable {
        public enum Outcome: Sendable, Equatable {
            case passed, failed(String), skipped(String)
        }
        public var suite: String
        public var name: String
        public var outcome: Outcome
        /// What was measured, for a passing case too (its system-out).
        public var detail: String
    }

    /// Every threshold of every run in `reports` (labelled by run when there are several).
    public static func cases(thresholdsOf reports: [LoadReport]) -> [Case] {
        var cases: [Case] = []
        for (index, report) in reports.enumerated() {
            for run in report.runs {
                let label = reports.count > 1 ? "run \(index + 1), \(run.clients) clients" : "\(run.clients) clients"
                for verdict in run.thresholds {
                    let limit =
                        verdict.limit.map { "\(verdict.comparison?.rawValue ?? "") \(Metrics.format($0, metric: verdict.metric))" }
                        ?? verdict.threshold
                    var detail = "measured \(verdict.measured), limit \(limit)"
                    if let reason = verdict.reason { detail += "; \(reason)" }
                    cases.append(
                        Case(
                            suite: "thresholds: \(report.scenario.name)", name: "\(verdict.threshold) (\(label))",
                            outcome: verdict.passed ? .passed : .failed(detail), detail: detail))
                }
            }
        }
        return cases
    }

    /// Every row of a comparison.
    public static func cases(comparing comparison: Comparison, scenario: String) -> [Case] {
        comparison.rows.map { row in
            let detail = row.figures
            let outcome: Case.Outcome
            switch row.verdict {
            case .worse: outcome = .failed("WORSE: \(detail)")
            case .ignored: outcome = .skipped("ignored (tolerance: ignore): \(detail)")
            case .missing: outcome = .skipped("not measured on both sides: \(detail)")
            case .better, .same, .noise: outcome = .passed
            }
            return Case(suite: "compare: \(scenario)", name: row.metric, outcome: outcome, detail: "\(row.verdict.rawValue): \(detail)")
        }
    }

    public static func xml(_ cases: [Case], timestamp: Date = Date()) -> String {
        var suites: [(String, [Case])] = []
        for testCase in cases {
            if let index = suites.firstIndex(where: { $0.0 == testCase.suite }) {
                suites[index].1.append(testCase)
            } else {
                suites.append((testCase.suite, [testCase]))
            }
        }
        let failures = cases.filter { if case .failed = $0.outcome { true } else { false } }.count
        let stamp = ISO8601DateFormatter().string(from: timestamp)
        var lines = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<testsuites name="parley-load" tests="\#(cases.count)" failures="\#(failures)" errors="0">"#,
        ]
        for (name, members) in suites {
            let suiteFailures = members.filter { if case .failed = $0.outcome { true } else { false } }.count
            let skipped = members.filter { if case .skipped = $0.outcome { true } else { false } }.count
            lines.append(
                #"  <testsuite name="\#(ParleyLoad.xml(name))" tests="\#(members.count)" failures="\#(suiteFailures)" errors="0" skipped="\#(skipped)" time="0" timestamp="\#(stamp)">"#
            )
            for member in members {
                let open =
                    #"    <testcase classname="parley-load.\#(ParleyLoad.xml(name.prefix { $0 != ":" }))" name="\#(ParleyLoad.xml(member.name))" time="0""#
                switch member.outcome {
                case .passed:
                    lines.append(open + ">")
                    lines.append("      <system-out>\(ParleyLoad.xml(member.detail))</system-out>")
                    lines.append("    </testcase>")
                case .failed(let message):
                    lines.append(open + ">")
                    lines.append(
                        #"      <failure message="\#(ParleyLoad.xml(message))" type="\#(name.hasPrefix("compare") ? "regression" : "threshold")">\#(ParleyLoad.xml(message))</failure>"#
                    )
                    lines.append("    </testcase>")
                case .skipped(let message):
                    lines.append(open + ">")
                    lines.append(#"      <skipped message="\#(ParleyLoad.xml(message))"/>"#)
                    lines.append("    </testcase>")
                }
            }
            lines.append("  </testsuite>")
        }
        lines.append("</testsuites>")
        return lines.joined(separator: "\n") + "\n"
    }
}
