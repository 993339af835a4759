/// `compare`: two reports metric by metric, with a tolerance; worse than the tolerance fails.
/// Given several reports per side it compares medians, and calls a change worse only when it
/// also leaves the spread of the runs (one run per side cannot tell a change from this machine's
/// run-to-run noise; several can).
public struct Comparison: Sendable {
    public struct Row: Sendable, Equatable {
        public enum Verdict: String, Sendable {
            case better, worse, same = "within tolerance", noise = "within the runs' spread", missing
        }
        public let metric: String
        /// The median of each side's runs (the value itself for one run).
        public let base: Double?
        public let new: Double?
        public let change: Double?
        public let verdict: Verdict
        /// Lowest and highest value of each side, when a side has several runs.
        public var baseRange: ClosedRange<Double>? = nil
        public var newRange: ClosedRange<Double>? = nil
    }

    public let rows: [Row]
    public let sameScenario: Bool
    public let notes: [String]

    public var failed: Bool { rows.contains { $0.verdict == .worse } }
    /// Several reports on a side: the table shows each side's spread.
    public let isMultiRun: Bool
    public let baseCount: Int
    public let newCount: Int

    public static let defaultMetrics = [
        "fanout.p50", "fanout.p99", "fanout.p999", "completion.p99", "send.lag.p99", "connect.p99",
        "delivery.ratio", "delivery.lost", "delivery.duplicates", "connect.errors", "throughput.deliveries",
    ]

    /// Compares the first run of each report (a sweep's smallest client count); a note says
    /// when the reports hold different numbers of runs.
    public init(base: LoadReport, new: LoadReport, tolerance: Double, metrics: [String] = Comparison.defaultMetrics) {
        self.init(bases: [base], news: [new], tolerance: tolerance, metrics: metrics)
    }

    /// Several runs per side (the same scenario run again): medians compared, spreads shown.
    public init(bases: [LoadReport], news: [LoadReport], tolerance: Double, metrics: [String] = Comparison.defaultMetrics) {
        var notes: [String] = []
        let digests = Set((bases + news).map(\.scenarioDigest))
        sameScenario = digests.count <= 1
        if !sameScenario {
            notes.append("the reports ran different scenarios (digests \(digests.sorted().joined(separator: ", "))): compare with care")
        }
        let runCounts = Set((bases + news).map(\.runs.count))
        if runCounts.count > 1 { notes.append("the reports hold different numbers of runs; comparing the first of each") }
        isMultiRun = bases.count > 1 || news.count > 1
        baseCount = bases.count
        newCount = news.count
        rows = metrics.map { metric in
            let baseValues = bases.compactMap { $0.runs.first?.metrics[metric] }
            let newValues = news.compactMap { $0.runs.first?.metrics[metric] }
            // A side with a run that could not measure the metric has no value for it.
            let base = baseValues.count == bases.count ? baseValues : []
            let new = newValues.count == news.count ? newValues : []
            var row = Self.row(metric, Self.median(base), Self.median(new), tolerance)
            guard bases.count > 1 || news.count > 1, let low = base.min(), let high = base.max(),
                let newLow = new.min(), let newHigh = new.max()
            else { return row }
            row.baseRange = low...high
            row.newRange = newLow...newHigh
            // Worse (or better) only when every new run is on that side of every base run.
            let higherIsBetter = Metrics.higherIsBetter(metric)
            let separated: Bool
            switch row.verdict {
            case .worse: separated = higherIsBetter ? newHigh < low : newLow > high
            case .better: separated = higherIsBetter ? newLow > high : newHigh < low
            case .same, .noise, .missing: separated = true
            }
            if !separated {
                row = Row(
                    metric: metric, base: row.base, new: row.new, change: row.change, verdict: .noise,
                    baseRange: low...high, newRange: newLow...newHigh)
            }
            return row
        }
        self.notes = notes
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
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
        var rows: [[String]] = [header]
        rows += self.rows.map { $0.cells(spread: isMultiRun) }
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
        lines.append("| " + header.joined(separator: " | ") + " |")
        lines.append("|---|" + String(repeating: "---:|", count: header.count - 2) + "---|")
        for row in rows {
            var cells = row.cells(spread: isMultiRun)
            if row.verdict == .worse { cells[cells.count - 1] = "**WORSE**" }
            lines.append("| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public var header: [String] {
        isMultiRun
            ? ["metric", "base (median)", "base runs", "new (median)", "new runs", "change", "verdict"]
            : ["metric", "base", "new", "change", "verdict"]
    }
}

extension Comparison.Row {
    func cells(spread: Bool) -> [String] {
        let format = { (value: Double?) in value.map { Metrics.format($0, metric: metric) } ?? "-" }
        let range = { (range: ClosedRange<Double>?) in range.map { "\(format($0.lowerBound))…\(format($0.upperBound))" } ?? "-" }
        let change = self.change.map { ($0 >= 0 ? "+" : "") + Quantities.trimmed($0 * 100, digits: 1) + "%" } ?? "-"
        let verdict = verdict == .worse ? "WORSE" : verdict.rawValue
        return spread
            ? [metric, format(base), range(baseRange), format(new), range(newRange), change, verdict]
            : [metric, format(base), format(new), change, verdict]
    }
}
