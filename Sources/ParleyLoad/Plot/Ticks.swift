import Foundation

/// Axis ticks people read at a glance: multiples of 1, 2 or 5 × 10ᵏ covering a range.
public enum Ticks {
    /// About `count` ticks from the first nice value ≥ `lower` to the last ≤ `upper`.
    public static func nice(from lower: Double, to upper: Double, count: Int = 5) -> [Double] {
        guard upper > lower, count > 0, lower.isFinite, upper.isFinite else { return [lower] }
        let step = niceStep((upper - lower) / Double(count))
        // Rounded to the step's decimals, so that 3 × 0.2 is 0.6, not 0.6000000000000001.
        let scale = pow(10, Swift.max(0, -log10(step).rounded(.down)))
        var ticks: [Double] = []
        var index = (lower / step).rounded(.up)
        while index * step <= upper + step * 1e-9 {
            ticks.append((index * step * scale).rounded() / scale)
            index += 1
        }
        return ticks
    }

    /// The 1-2-5 step nearest above `raw`.
    public static func niceStep(_ raw: Double) -> Double {
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let residual = raw / magnitude
        let factor: Double = residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10
        return factor * magnitude
    }
}

/// Maps a domain linearly onto pixels; either may run backwards (a y axis grows upwards).
extension Ticks {
    /// Values 1, 2 and 5 × 10ⁿ between `lower` and `upper` (positive), for a log axis; when the
    /// range is too narrow for two of them, its ends instead.
    public static func logarithmic(from lower: Double, to upper: Double) -> [Double] {
        guard lower > 0, upper >= lower else { return [] }
        var ticks: [Double] = []
        var decade = pow(10, log10(lower).rounded(.down))
        while decade <= upper {
            for multiple in [1.0, 2, 5] {
                let value = multiple * decade
                if value >= lower * (1 - 1e-9) && value <= upper * (1 + 1e-9) { ticks.append(value) }
            }
            decade *= 10
        }
        if ticks.count > 7 { ticks = ticks.filter { abs(log10($0).rounded() - log10($0)) < 1e-9 } }
        return ticks.count >= 2 ? ticks : [lower, upper].uniqued()
    }
}

public struct LinearScale: Sendable {
    public let domain: (from: Double, to: Double)
    public let range: (from: Double, to: Double)

    public init(domain: (from: Double, to: Double), range: (from: Double, to: Double)) {
        self.domain = domain
        self.range = range
    }

    public func callAsFunction(_ value: Double) -> Double {
        let span = domain.to - domain.from
        let fraction = span == 0 ? 0 : (value - domain.from) / span
        return range.from + fraction * (range.to - range.from)
    }
}

/// HdrHistogram's percentile axis: position log₁₀(1 / (1 − p)), so 50 %, 90 %, 99 %, 99.9 % are
/// evenly spaced and the tail gets the room it deserves.
public enum PercentileAxis {
    public static let ticks: [Double] = [0, 0.5, 0.9, 0.99, 0.999, 0.9999, 0.99999]

    public static func position(_ percentile: Double) -> Double {
        log10(1 / (1 - Swift.min(percentile, 0.999999)))
    }

    public static func label(_ percentile: Double) -> String {
        let percent = percentile * 100
        return percent == percent.rounded() ? "\(Int(percent))%" : "\(Quantities.trimmed(percent, digits: 3))%"
    }
}

/// Microseconds as people read them on an axis: the unit chosen once for the axis (µs, ms or s)
/// from its largest value, ticks in that unit.
public struct DurationAxis: Sendable {
    public let unit: String
    public let microsPerUnit: Double

    public init(maximumMicros: Double) {
        if maximumMicros < 1_000 {
            (unit, microsPerUnit) = ("µs", 1)
        } else if maximumMicros < 1_000_000 {
            (unit, microsPerUnit) = ("ms", 1_000)
        } else {
            (unit, microsPerUnit) = ("s", 1_000_000)
        }
    }

    /// Ticks in microseconds, nice in the axis's unit.
    public func ticks(upToMicros maximum: Double, count: Int = 5) -> [Double] {
        Ticks.nice(from: 0, to: maximum / microsPerUnit, count: count).map { $0 * microsPerUnit }
    }

    public func label(_ micros: Double) -> String {
        "\(Quantities.trimmed(micros / microsPerUnit, digits: 3)) \(unit)"
    }
}
