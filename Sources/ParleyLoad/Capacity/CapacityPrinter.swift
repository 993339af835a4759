/// A capacity search in the terminal: a line per step as it ends, and the table of all steps.
public enum CapacityPrinter {
    /// "step 3: 1,024 clients — pass (fanout.p99 12.3 ms, delivery.ratio 1)".
    public static func stepLine(_ step: CapacityStep, run: RunReport, vary: CapacitySearch.Variable) -> String {
        let measured = run.thresholds.map { "\($0.metric) \($0.measured)" }
        var line =
            "step \(step.run + 1): \(CapacityReport.describe(step.value, vary: vary)) — \(step.passed ? "pass" : "FAIL") (\(measured.joined(separator: ", ")))"
        if let generator = run.generator, generator.validity == .generatorBound { line += " — \(generator.summary)" }
        return line
    }

    /// Every step in order of load, each SLO's measured value, and the answer.
    public static func table(_ capacity: CapacityReport, runs: [RunReport]) -> String {
        var rows = [["step", capacity.unit, "verdict"] + capacity.slos]
        for step in capacity.steps.sorted(by: { $0.value < $1.value }) {
            let cells = runs[step.run].thresholds.map { verdict in verdict.value == nil ? "-" : verdict.measured }
            let value = capacity.vary == .clients ? String(Int(step.value)) : Quantities.trimmed(step.value, digits: 2)
            rows.append(["\(step.run + 1)", value, step.passed ? "pass" : "FAIL"] + cells)
        }
        return "capacity search (\(capacity.steps.count) steps, precision \(Quantities.trimmed(capacity.precision * 100, digits: 1)) %):\n"
            + ReportPrinter.align(rows) + capacity.sentence + "\n"
    }
}
