import Foundation
import ParleyProtocol

/// Durations (`30s`, `2m`, `500ms`, `1h`) and rates (`50/s`, `600/m`) as people write them in
/// scenario files and thresholds.
public enum Quantities {
    /// Parses a duration; nil when the text is not one.
    public static func duration(_ text: String) -> Duration? {
        let text = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("ns", 1e-9), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, seconds) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value >= 0, value.isFinite else { return nil }
            return .nanoseconds(Int64((value * seconds * 1e9).rounded()))
        }
        return nil
    }

    /// Parses a share as people write it, `90%` or `0.9`, into a fraction; nil when it is neither.
    public static func fraction(_ text: String) -> Double? {
        let text = text.trimmingCharacters(in: .whitespaces)
        let value = text.hasSuffix("%") ? Double(text.dropLast()).map { $0 / 100 } : Double(text)
        return value.flatMap { $0.isFinite ? $0 : nil }
    }

    /// Parses a rate as events per second; nil when the text is not one.
    public static func rate(_ text: String) -> Double? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/")
        guard parts.count == 2, let count = Double(parts[0].trimmingCharacters(in: .whitespaces)), count >= 0,
            count.isFinite
        else { return nil }
        switch parts[1].trimmingCharacters(in: .whitespaces) {
        case "s": return count
        case "m": return count / 60
        case "h": return count / 3600
        default: return nil
        }
    }

    /// A latency in microseconds as a person reads it: `850µs`, `12.3ms`, `1.25s`.
    public static func formatMicros(_ micros: Double) -> String {
        if micros < 1000 { return "\(trimmed(micros, digits: micros < 10 ? 1 : 0))µs" }
        if micros < 1_000_000 { return "\(trimmed(micros / 1000, digits: micros < 100_000 ? 2 : 1))ms" }
        return "\(trimmed(micros / 1_000_000, digits: 2))s"
    }

    static func trimmed(_ value: Double, digits: Int) -> String {
        var text = String(format: "%.\(digits)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }
}
