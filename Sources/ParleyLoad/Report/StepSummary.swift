import Foundation

/// The run's verdicts as Markdown for a CI job's page (`--github-summary` appends it to
/// `$GITHUB_STEP_SUMMARY`, which GitHub Actions shows on the run's summary).
public enum StepSummary {
    public static func markdown(reports: [LoadReport], comparison: Comparison?) -> String {
        var lines = ["### parley-load: \(reports.first?.scenario.name ?? "compare")", ""]
        let invalid = reports.filter { $0.validity == .generatorBound }.count
        if invalid > 0 {
            lines.append(
                "> **GENERATOR-BOUND** in \(invalid) of \(reports.count) run(s): parley-load itself was the bottleneck; "
                    + "time and rate figures describe the load generator, not the server.")
            lines.append("")
        }
        let verdicts = JUnitReport.cases(thresholdsOf: reports)
        if !verdicts.isEmpty {
            lines.append("| threshold | result | measured |")
            lines.append("|---|---|---|")
            for verdict in verdicts {
                let result: String
                switch verdict.outcome {
                case .passed: result = "✓ pass"
                case .failed: result = "**✗ FAIL**"
                case .skipped: result = "skipped"
                }
                lines.append("| \(cell(verdict.name)) | \(result) | \(cell(verdict.detail)) |")
            }
            lines.append("")
        }
        if let comparison {
            lines.append("Compared with the baseline (\(comparison.baseCount) run(s)), \(comparison.newCount) new run(s):")
            lines.append("")
            lines.append(comparison.markdown())
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Appends to the file `GITHUB_STEP_SUMMARY` names; false when the variable is not set.
    public static func append(_ markdown: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Bool {
        guard let path = environment["GITHUB_STEP_SUMMARY"], !path.isEmpty else { return false }
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw ReportError("\(path) (GITHUB_STEP_SUMMARY): cannot write") }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(markdown.utf8))
        return true
    }

    private static func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
}
