/// The metric names thresholds and `compare` use, their units, and which way is better.
public enum Metrics {
    public enum Unit: String, Sendable, Codable {
        case micros, count, ratio, perSecond
    }

    static let percentiles: [(String, Double)] = [("p50", 50), ("p90", 90), ("p99", 99), ("p999", 99.9)]
    static let latencyFamilies = ["fanout", "completion", "connect", "send.lag", "presence"]

    public static let names: [String] = {
        var names: [String] = []
        for family in latencyFamilies {
            names += percentiles.map { "\(family).\($0.0)" } + ["\(family).max", "\(family).mean"]
        }
        names += [
            "delivery.ratio", "delivery.lost", "delivery.duplicates", "delivery.expected", "delivery.received",
            "connect.errors", "throughput.deliveries", "throughput.messages", "process.cpu", "process.rss",
            "presence.complete", "received.bytes", "slow.closed",
        ]
        return names
    }()

    public static func unit(of metric: String) -> Unit? {
        guard names.contains(metric) else { return nil }
        switch metric {
        case "delivery.ratio", "process.cpu": return .ratio
        case "throughput.deliveries", "throughput.messages": return .perSecond
        case "connect.errors", "process.rss", "presence.complete", "received.bytes", "slow.closed": return .count
        default:
            return latencyFamilies.contains(where: { metric.hasPrefix($0 + ".") }) ? .micros : .count
        }
    }

    /// Whether a larger value is the better one (for `compare`).
    public static func higherIsBetter(_ metric: String) -> Bool {
        metric == "delivery.ratio" || metric.hasPrefix("throughput.")
    }

    /// A value in its unit, for people.
    public static func format(_ value: Double, metric: String) -> String {
        switch unit(of: metric) {
        case .micros: return Quantities.formatMicros(value)
        case .ratio: return Quantities.trimmed(value, digits: 4)
        case .perSecond: return "\(Quantities.trimmed(value, digits: 1))/s"
        case .count, nil:
            if metric == "process.rss" || metric == "received.bytes" { return "\(Quantities.trimmed(value / 1_048_576, digits: 1)) MiB" }
            return Quantities.trimmed(value, digits: 0)
        }
    }
}
