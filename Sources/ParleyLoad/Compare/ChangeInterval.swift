import Foundation

/// A bootstrap confidence interval of a metric's relative change between two sets of runs
/// (docs/LOAD.md, "Noise-aware verdicts"). Each resample draws each side's runs with
/// replacement and, for a percentile, redraws every chosen run's percentile from its own
/// HdrHistogram; the statistic is the median of the side's drawn values, as `compare` shows.
/// Between runs is where this machine's noise lives (±15–35 % for a 1,000-client fan-out p99);
/// within a run, a percentile of thousands of deliveries barely moves, and with one run per side
/// that small spread is all there is.
///
/// Seeded: the same reports always give the same interval (a CI gate must not flip on a rerun of
/// the comparison itself).
struct ChangeInterval: Sendable, Equatable {
    /// Relative change new ÷ base − 1 at the interval's ends.
    let low: Double
    let high: Double

    static let iterations = 2_000
    static let confidence = 0.95

    /// Nil when either side has no value, or the base is zero (a relative change means nothing).
    static func of(_ metric: Metrics.Metric, bases: [RunReport], news: [RunReport]) -> ChangeInterval? {
        let baseSamplers = bases.compactMap { RunSampler(metric, $0) }
        let newSamplers = news.compactMap { RunSampler(metric, $0) }
        guard !baseSamplers.isEmpty, !newSamplers.isEmpty, baseSamplers.count == bases.count, newSamplers.count == news.count
        else { return nil }
        var random = SplitMix64(seed: 0x5041_524C_4559)
        var changes: [Double] = []
        changes.reserveCapacity(iterations)
        for _ in 0..<iterations {
            let base = resampledMedian(baseSamplers, &random)
            let new = resampledMedian(newSamplers, &random)
            guard base > 0 else { continue }
            changes.append(new / base - 1)
        }
        guard changes.count >= iterations / 2 else { return nil }
        changes.sort()
        let tail = (1 - confidence) / 2
        let lowIndex = Int((Double(changes.count - 1) * tail).rounded())
        let highIndex = Int((Double(changes.count - 1) * (1 - tail)).rounded())
        return ChangeInterval(low: changes[lowIndex], high: changes[highIndex])
    }

    private static func resampledMedian(_ samplers: [RunSampler], _ random: inout SplitMix64) -> Double {
        var values = (0..<samplers.count).map { _ in samplers[Int(random.next() % UInt64(samplers.count))].draw(&random) }
        values.sort()
        let middle = values.count / 2
        return values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
    }

    func excludesZero() -> Bool { low > 0 || high < 0 }
}

/// One run's figure for a metric, and how to redraw it as if the run's deliveries had been
/// resampled.
private struct RunSampler {
    let value: Double
    /// A percentile's rank, the run's delivery count and its histogram as ascending
    /// (value, cumulative count) buckets; nil for figures that are read whole (counts, rates).
    let percentile: (rank: Double, count: Double, buckets: [(value: Double, cumulative: Double)])?

    init?(_ metric: Metrics.Metric, _ run: RunReport) {
        // The figure the report states (what `compare` shows), read afresh only if it is absent.
        guard let value = run.metrics[metric.name] ?? metric.read(run) else { return nil }
        self.value = value
        guard let percentile = metric.percentile, let histogram = percentile.histogram(run), histogram.count > 1 else {
            self.percentile = nil
            return
        }
        var cumulative = 0.0
        let buckets = histogram.values.compactMap { pair -> (value: Double, cumulative: Double)? in
            guard pair.count == 2 else { return nil }
            cumulative += Double(pair[1])
            return (Double(pair[0]), cumulative)
        }
        self.percentile = buckets.isEmpty ? nil : (percentile.rank, cumulative, buckets)
    }

    /// The value again, its percentile redrawn: in a resample of n deliveries the p-th
    /// percentile's rank is near-normal around p with spread √(p(1−p)/n). The run's own figure is
    /// scaled by how far that moves it in its histogram, so a report whose figure was edited (or
    /// rounded) keeps its figure as the centre.
    func draw(_ random: inout SplitMix64) -> Double {
        guard let percentile else { return value }
        let spread = (percentile.rank * (1 - percentile.rank) / percentile.count).squareRoot()
        let rank = min(max(percentile.rank + random.normal() * spread, 0), 1)
        let centre = quantile(percentile.rank, percentile)
        guard centre > 0 else { return value }
        return value * quantile(rank, percentile) / centre
    }

    private func quantile(
        _ rank: Double, _ percentile: (rank: Double, count: Double, buckets: [(value: Double, cumulative: Double)])
    ) -> Double {
        let target = max(1, (rank * percentile.count).rounded(.up))
        var low = 0
        var high = percentile.buckets.count - 1
        while low < high {
            let middle = (low + high) / 2
            if percentile.buckets[middle].cumulative >= target { high = middle } else { low = middle + 1 }
        }
        return percentile.buckets[low].value
    }
}
