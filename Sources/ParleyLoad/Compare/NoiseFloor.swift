/// A runner's A/A noise per metric (`parley-load noise`): the same scenario run N times against
/// the same server, split every way into two halves, and the relative change between the
/// halves' medians — what `compare` would see between two identical builds. The suggested
/// tolerance clears the 95th percentile of those changes with a margin, rounded up to 5 %.
public struct NoiseFloor: Sendable {
    public struct Row: Sendable {
        public let metric: String
        public let median: Double
        public let range: ClosedRange<Double>
        /// 95th percentile of |change| between halves; nil when a half's median is zero.
        public let change95: Double?
        public let suggested: Tolerance
    }

    public let runs: Int
    public let rows: [Row]

    public init(reports: [LoadReport], metrics: [String]) {
        runs = reports.count
        let half = reports.count / 2
        let splits = Self.splits(of: reports.count, size: half)
        rows = metrics.compactMap { metric in
            let values = reports.compactMap { $0.runs.first?.metrics[metric] }
            guard values.count == reports.count, let low = values.min(), let high = values.max(),
                let median = Comparison.median(values)
            else { return nil }
            var changes: [Double] = []
            for first in splits {
                let second = (0..<values.count).filter { !first.contains($0) }.prefix(half)
                guard let a = Comparison.median(first.map { values[$0] }), let b = Comparison.median(second.map { values[$0] }), a > 0
                else { continue }
                changes.append(abs(b / a - 1))
            }
            changes.sort()
            let change95 = changes.isEmpty ? nil : changes[min(changes.count - 1, Int((Double(changes.count) * 0.95).rounded(.down)))]
            let suggested: Tolerance
            if let change95, change95 > 0 {
                // A margin of a quarter, then up to the next 5 %, at least 5 %.
                suggested = .share(max(0.05, (change95 * 1.25 * 20).rounded(.up) / 20))
            } else {
                // No A/A change at all (a count, a scheduled rate): the catalogue's own.
                suggested = Metrics.metric(named: metric)?.defaultTolerance ?? .share(0.1)
            }
            return Row(metric: metric, median: median, range: low...high, change95: change95, suggested: suggested)
        }
    }

    /// Every way to choose `size` of `count` indices (few: N is a handful of runs).
    static func splits(of count: Int, size: Int) -> [[Int]] {
        guard size > 0, size <= count else { return [] }
        var result: [[Int]] = []
        func choose(_ start: Int, _ chosen: [Int]) {
            if chosen.count == size {
                result.append(chosen)
                return
            }
            guard start < count else { return }
            for index in start..<count { choose(index + 1, chosen + [index]) }
        }
        choose(0, [])
        return result
    }

    public func table() -> String {
        var rows: [[String]] = [["metric", "median", "runs", "A/A change p95", "suggested tolerance"]]
        for row in self.rows {
            let format = { Metrics.format($0, metric: row.metric) }
            rows.append([
                row.metric, format(row.median), "\(format(row.range.lowerBound))…\(format(row.range.upperBound))",
                row.change95.map { Quantities.trimmed($0 * 100, digits: 1) + "%" } ?? "-", row.suggested.description,
            ])
        }
        return ReportPrinter.align(rows)
    }

    /// The suggestions as a scenario's `compare:` block.
    public func yaml() -> String {
        "# A/A noise over \(runs) runs (parley-load noise): suggested tolerances\ncompare:\n"
            + rows.map { "  \($0.metric): \($0.suggested)" }.joined(separator: "\n") + "\n"
    }

    public func markdown() -> String {
        var lines = ["| metric | median | runs | A/A change p95 | suggested tolerance |", "|---|---:|---:|---:|---:|"]
        for row in rows {
            let format = { Metrics.format($0, metric: row.metric) }
            lines.append(
                "| \(row.metric) | \(format(row.median)) | \(format(row.range.lowerBound))…\(format(row.range.upperBound)) | "
                    + "\(row.change95.map { Quantities.trimmed($0 * 100, digits: 1) + "%" } ?? "-") | \(row.suggested) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
