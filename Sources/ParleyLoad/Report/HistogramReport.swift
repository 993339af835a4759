import Foundation
import Histogram

/// Percentiles in microseconds, and the histogram's recorded values so it can be rebuilt.
public struct HistogramReport: Codable, Sendable {
    public var count: UInt64
    public var mean: Double
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var p999: Double
    public var max: Double
    /// Values past one hour, recorded as one hour.
    public var clamped: Int
    /// [value µs, count] for every recorded value bucket.
    public var values: [[UInt64]]

    init(_ latency: LatencyHistogram) {
        let histogram = latency.histogram
        count = histogram.totalCount
        mean = count == 0 ? 0 : histogram.mean
        p50 = count == 0 ? 0 : Double(histogram.valueAtPercentile(50))
        p90 = count == 0 ? 0 : Double(histogram.valueAtPercentile(90))
        p99 = count == 0 ? 0 : Double(histogram.valueAtPercentile(99))
        p999 = count == 0 ? 0 : Double(histogram.valueAtPercentile(99.9))
        max = count == 0 ? 0 : Double(histogram.max)
        clamped = latency.clamped
        values = histogram.recordedValues().map { [$0.value, UInt64($0.count)] }
    }

    /// The histogram again, from its recorded values.
    public func rebuild() -> Histogram<UInt64> {
        var histogram = Histogram<UInt64>(
            lowestDiscernibleValue: 1, highestTrackableValue: LatencyHistogram.highest, numberOfSignificantValueDigits: .three)
        for pair in values where pair.count == 2 { _ = histogram.record(pair[0], count: pair[1]) }
        return histogram
    }
}
