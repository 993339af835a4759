/// `compare`: two sets of runs metric by metric, each metric with its own tolerance
/// (`Tolerances`). A change is WORSE (or better) only when it passes the metric's tolerance and
/// the bootstrap confidence interval of the change (`ChangeInterval`) excludes zero: one run per
/// side cannot tell a change from this machine's run-to-run noise; several can.
public struct Comparison: Sendable {
    public struct Row: Sendable, Equatable {
        public enum Verdict: String, Sendable, Codable {
            case better, worse, same = "within tolerance", noise = "within the runs' spread", missing, ignored
        }
        public let metric: String
        /// The median of each side's runs (the value itself for one run).
        public let base: Double?
        public let new: Double?
        public let change: Double?
        public let verdict: Verdict
        public var tolerance: Tolerance = .share(0.1)
        /// 95 % bootstrap interval of the relative change; nil where there is nothing to resample.
        public var interval: ClosedRange<Double>? = nil
        /// Lowest and highest value of each side, when a side has several runs.
        public var baseRange: ClosedRange<Double>? = nil
        public var newRange: ClosedRange<Double>? = nil
    }

    public let rows: [Row]
    public let sameScenario: Bool
    public let notes: [String]

    public var failed: Bool { rows.contains { $0.verdict == .worse } }
    /// Several reports on a side: the table shows each side's spread and the interval.
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
        self.init(bases: [base], news: [new], tolerances: Tolerances(all: tolerance), metrics: metrics)
    }

    /// Every metric at one tolerance.
    public init(bases: [LoadReport], news: [LoadReport], tolerance: Double, metrics: [String] = Comparison.defaultMetrics) {
        self.init(bases: bases, news: news, tolerances: Tolerances(all: tolerance), metrics: metrics)
    }

    /// Several runs per side (the same scenario run again): medians compared, spreads and the
    /// change's interval shown.
    public init(bases: [LoadReport], news: [LoadReport], tolerances: Tolerances, metrics: [String] = Comparison.defaultMetrics) {
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
        let baseRuns = bases.compactMap(\.runs.first)
        let newRuns = news.compactMap(\.runs.first)
        let isMultiRun = self.isMultiRun
        rows = metrics.map { metric in
            let baseValues = baseRuns.compactMap { $0.metrics[metric] }
            let newValues = newRuns.compactMap { $0.metrics[metric] }
            // A side with a run that could not measure the metric has no value for it.
            let base = baseValues.count == bases.count ? baseValues : []
            let new = newValues.count == news.count ? newValues : []
            let tolerance = tolerances[metric]
            let interval = Metrics.metric(named: metric).flatMap { ChangeInterval.of($0, bases: baseRuns, news: newRuns) }
            var row = Self.row(metric, Self.median(base), Self.median(new), tolerance, interval: interval)
            if isMultiRun, let low = base.min(), let high = base.max(), let newLow = new.min(), let newHigh = new.max() {
                row.baseRange = low...high
                row.newRange = newLow...newHigh
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
        row(metric, base, new, .share(tolerance), interval: nil)
    }

    /// The verdict: past the tolerance in one direction is worse (better), unless the interval
    /// of the change reaches zero — then it is noise. Without an interval (a figure with no
    /// relative change, e.g. from zero) the point values decide.
    static func row(_ metric: String, _ base: Double?, _ new: Double?, _ tolerance: Tolerance, interval: ChangeInterval?) -> Row {
        guard let base, let new else {
            return Row(metric: metric, base: base, new: new, change: nil, verdict: .missing, tolerance: tolerance)
        }
        let change = base == 0 ? (new == 0 ? 0 : nil) : (new - base) / base
        let range = interval.map { $0.low...$0.high }
        guard case .share(let share) = tolerance else {
            return Row(metric: metric, base: base, new: new, change: change, verdict: .ignored, tolerance: tolerance, interval: range)
        }
        let higherIsBetter = Metrics.higherIsBetter(metric)
        // Positive: the worse direction, as a share of the base.
        let worsening: Double
        if new == base {
            worsening = 0
        } else if base == 0 {
            // A count that was zero (lost, errors): any is worse; a rate from zero is better.
            worsening = higherIsBetter ? -.infinity : .infinity
        } else {
            worsening = (higherIsBetter ? base - new : new - base) / base
        }
        let verdict: Row.Verdict
        if abs(worsening) <= share || worsening == 0 {
            verdict = .same
        } else if let interval, !interval.excludesZero() {
            verdict = .noise
        } else {
            verdict = worsening > 0 ? .worse : .better
        }
        return Row(metric: metric, base: base, new: new, change: change, verdict: verdict, tolerance: tolerance, interval: range)
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
            ? ["metric", "base (median)", "base runs", "new (median)", "new runs", "change", "95% interval", "tolerance", "verdict"]
            : ["metric", "base", "new", "change", "tolerance", "verdict"]
    }
}

extension Comparison.Row {
    func cells(spread: Bool) -> [String] {
        let range = { (range: ClosedRange<Double>?) in range.map { "\(format($0.lowerBound))…\(format($0.upperBound))" } ?? "-" }
        let change = self.change.map(Self.percent) ?? "-"
        let interval = self.interval.map { "\(Self.percent($0.lowerBound))…\(Self.percent($0.upperBound))" } ?? "-"
        let verdict = verdict == .worse ? "WORSE" : verdict.rawValue
        return spread
            ? [metric, format(base), range(baseRange), format(new), range(newRange), change, interval, tolerance.description, verdict]
            : [metric, format(base), format(new), change, tolerance.description, verdict]
    }

    /// The verdict's figures in one line (JUnit messages, the step summary): "+31% (95% interval
    /// +18%…+44%), tolerance 15%: base 10ms, new 13.1ms".
    public var figures: String {
        var text = change.map(Self.percent) ?? "no relative change"
        if let interval { text += " (95% interval \(Self.percent(interval.lowerBound))…\(Self.percent(interval.upperBound)))" }
        return text + ", tolerance \(tolerance): base \(format(base)), new \(format(new))"
    }

    private func format(_ value: Double?) -> String { value.map { Metrics.format($0, metric: metric) } ?? "-" }

    private static func percent(_ share: Double) -> String {
        (share >= 0 ? "+" : "") + Quantities.trimmed(share * 100, digits: 1) + "%"
    }
}
