import Histogram

/// An HdrHistogram of microseconds (3 significant digits, 1 µs to 1 hour); values past the top
/// are clamped and counted, never dropped.
struct LatencyHistogram: Sendable, Codable {
    static let highest: UInt64 = 3_600_000_000
    private(set) var histogram: Histogram<UInt64>
    private(set) var clamped = 0

    init(significantDigits: SignificantDigits = .three) {
        histogram = Histogram(
            lowestDiscernibleValue: 1, highestTrackableValue: Self.highest, numberOfSignificantValueDigits: significantDigits)
    }

    mutating func record(micros: UInt64) {
        if micros > Self.highest { clamped += 1 }
        _ = histogram.record(Swift.min(Swift.max(micros, 1), Self.highest))
    }

    mutating func add(_ other: LatencyHistogram) {
        histogram.add(other.histogram)
        clamped += other.clamped
    }

    var count: UInt64 { histogram.totalCount }
}
