/// `compare`: two reports metric by metric, with a tolerance; worse than the tolerance fails.
public struct Comparison: Sendable {
    public struct Row: Sendable, Equatable {
        public enum Verdict: String, Sendable { case better, worse, same = "within tolerance", missing }
        public let metric: String
        public let base: Double?
        public let new: Double?
        public let change: Double?
        public let verdict: Verdict
    }

    public let rows: [Row]
    public let sameScenario: Bool
    public let notes: [String]

    public var failed: Bool { rows.contains { $0.verdict == .worse } }

    public static let defaultMetrics = [
        "fanout.p50", "fanout.p99", "fanout.p999", "completion.p99", "send.lag.p99", "connect.p99",
        "delivery.ratio", "delivery.lost", "delivery.duplicates", "connect.errors", "throughput.deliveries",
    ]

    /// Compares the first run of each report (a sweep's smallest client count); a note says
    /// when the reports hold different numbers of runs.
    public init(base: LoadReport, new: LoadReport, tolerance: Double, metrics: [String] = Comparison.defaultMetrics) {
        var notes: [String] = []
        sameScenario = base.scenarioDigest == new.scenarioDigest
        if !sameScenario {
            notes.append("the reports ran different scenarios (digest \(base.scenarioDigest) vs \(new.scenarioDigest)): compare with care")
        }
        if base.runs.count != new.runs.count { notes.append("the reports hold \(base.runs.count) and \(new.runs.count) runs; comparing the first of each") }
        let baseMetrics = base.runs.first?.metrics ?? [:]
        let newMetrics = new.runs.first?.metrics ?? [:]
        rows = metrics.map { metric in Self.row(metric, baseMetrics[metric], newMetrics[metric], tolerance) }
        self.notes = notes
    }

    static func row(_ metric: String, _ base: Double?, _ new: Double?, _ tolerance: Double) -> Row {
        guard let base, let new else { return Row(metric: metric, base: base, new: new, change: nil, verdict: .missing) }
        let change = base == 0 ? (new == 0 ? 0 : nil) : (new - base) / base
        let higherIsBetter = Metrics.higherIsBetter(metric)
        let verdict: Row.Verdict
        if new == base {
            verdict = .same
        } else if higherIsBetter {
            verdict = new < base * (1 - tolerance) ? .worse : (new > base ? .better : .same)
        } else if base == 0 {
            // A count that was zero (lost, errors): any is worse.
            verdict = .worse
        } else {
            verdict = new > base * (1 + tolerance) ? .worse : (new < base ? .better : .same)
        }
        return Row(metric: metric, base: base, new: new, change: change, verdict: verdict)
    }

    /// The terminal table; `colour` marks worse red and better green (only on a terminal).
    public func table(colour: Bool = false) -> String {
        var rows: [[String]] = [Self.header]
        rows += self.rows.map(\.cells)
        var text = ReportPrinter.align(rows)
        if colour {
            // Colour after aligning: escape codes must not count as width.
            text = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                if line.hasSuffix("WORSE") { return "\u{1B}[31m\(line)\u{1B}[0m" }
                if line.hasSuffix("better") { return "\u{1B}[32m\(line)\u{1B}[0m" }
                return String(line)
            }.joined(separator: "\n")
        }
        return notes.map { "note: \($0)\n" }.joined() + text
    }

    /// The same table as GitHub-flavoured Markdown, for a pull request.
    public func markdown() -> String {
        var lines = notes.map { "> note: \($0)" }
        if !lines.isEmpty { lines.append("") }
        lines.append("| " + Self.header.joined(separator: " | ") + " |")
        lines.append("|---|---:|---:|---:|---|")
        for row in rows {
            var cells = row.cells
            if row.verdict == .worse { cells[4] = "**WORSE**" }
            lines.append("| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static let header = ["metric", "base", "new", "change", "verdict"]
}

extension Comparison.Row {
    var cells: [String] {
        [
            metric, base.map { Metrics.format($0, metric: metric) } ?? "-",
            new.map { Metrics.format($0, metric: metric) } ?? "-",
            change.map { ($0 >= 0 ? "+" : "") + Quantities.trimmed($0 * 100, digits: 1) + "%" } ?? "-",
            verdict == .worse ? "WORSE" : verdict.rawValue,
        ]
    }
}
